import * as pulumi from "@pulumi/pulumi";
import type { MemberStatus } from "../sdk/types";
import { dynamicType, withProvider } from "./dynamic-resource";
import { declareMembersOf } from "./exclusive-images";
import { refuseImport } from "./import-option";
import type { PlacementArgs } from "./placement";

export interface ImageMemberArgs extends PlacementArgs {
  /** The image to share; it must have visibility `shared` and belong to the credential's project. A change replaces. */
  imageId: pulumi.Input<string>;
  /** The project to share it with. A change replaces. */
  memberId: pulumi.Input<string>;
  /**
   * For admins only: force the member's status and track it. Unset (the normal case), the member
   * decides and its decision is not drift for the producer.
   */
  status?: pulumi.Input<MemberStatus>;
  /**
   * Take over a membership that already exists (made by hand or by another stack). Without it,
   * creating a member that exists fails. Matters only at create. Pulumi cannot import dynamic resources.
   */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * The producer side of a share: project `memberId` is a member of image `imageId`.
 * Id `<imageId>/<memberId>`; type token `pulumi-nodejs:dynamic/glance:ImageMember`.
 */
export class ImageMember extends pulumi.CustomResource {
  declare readonly imageId: pulumi.Output<string>;
  declare readonly memberId: pulumi.Output<string>;
  declare readonly region: pulumi.Output<string | undefined>;
  declare readonly cloud: pulumi.Output<string | undefined>;
  declare readonly createdAt: pulumi.Output<string>;
  /** Only when pinned by the `status` input. */
  declare readonly status: pulumi.Output<MemberStatus | undefined>;

  constructor(name: string, args: ImageMemberArgs, opts?: pulumi.CustomResourceOptions) {
    refuseImport("ImageMember", name, opts, "set adoptExisting: true on it instead, to take over the membership that exists");
    declareMembersOf(args.imageId, `ImageMember "${name}"`, false);
    super(
      dynamicType("ImageMember"),
      name,
      withProvider("ImageMember", { region: undefined, cloud: undefined, status: undefined, ...args, createdAt: undefined }),
      opts,
    );
  }
}
