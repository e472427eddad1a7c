import * as pulumi from "@pulumi/pulumi";
import type { MemberStatus } from "../sdk/types";
import { dynamicType, withProvider } from "./dynamic-resource";
import { declareMembersOf } from "./exclusive-images";
import { refuseImport } from "./import-option";
import type { PlacementArgs } from "./placement";

export interface ImageShareArgs extends PlacementArgs {
  /** The image to share; it must have visibility `shared` and belong to the credential's project. A change replaces. */
  imageId: pulumi.Input<string>;
  /** The projects to share it with, each once; may be empty. Changes add and remove only the difference. */
  memberIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Make `memberIds` the image's only members: a member nobody declared (added by hand or by another
   * tool) is drift, and `pulumi up --refresh` removes it. Destroy still removes only the declared
   * members. Default false: other members are left alone.
   */
  exclusive?: pulumi.Input<boolean>;
  /**
   * Take over members that exist already (made by hand, by another stack, or by this stack's
   * ImageMember resources or 0.1.x ImageShare). Unset, pending ones are taken over with a warning and
   * answered ones stop the create before it writes; `false` refuses any.
   */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * The producer side, for a set: the projects in `memberIds` are members of image `imageId`. One
 * resource for the whole set (as GCP's `_iam_binding` beside ImageMember's `_iam_member`).
 * Id: the image id; type token `pulumi-nodejs:dynamic/glance:ImageShare`.
 */
export class ImageShare extends pulumi.CustomResource {
  declare readonly imageId: pulumi.Output<string>;
  /** The declared members that are members. */
  declare readonly memberIds: pulumi.Output<string[]>;
  /** Each member's answer, by project id: informational, never drift for the producer. */
  declare readonly statuses: pulumi.Output<Record<string, MemberStatus>>;
  declare readonly exclusive: pulumi.Output<boolean | undefined>;
  declare readonly region: pulumi.Output<string | undefined>;
  declare readonly cloud: pulumi.Output<string | undefined>;

  constructor(name: string, args: ImageShareArgs, opts?: pulumi.CustomResourceOptions) {
    refuseImport("ImageShare", name, opts, "set adoptExisting: true on it instead, to take over the members that exist");
    declareMembersOf(args.imageId, `ImageShare "${name}"`, args.exclusive === true);
    super(
      dynamicType("ImageShare"),
      name,
      withProvider("ImageShare", {
        region: undefined,
        cloud: undefined,
        exclusive: undefined,
        adoptExisting: undefined,
        ...args,
        statuses: undefined,
      }),
      opts,
    );
  }
}
