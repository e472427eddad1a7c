import * as pulumi from "@pulumi/pulumi";
import type { MemberStatus, StatusOnDelete } from "../sdk/types";
import { dynamicType, withProvider } from "./dynamic-resource";
import { refuseImport } from "./import-option";
import type { PlacementArgs } from "./placement";

export interface MemberAcceptanceArgs extends PlacementArgs {
  /** The image shared with this project. A change replaces. */
  imageId: pulumi.Input<string>;
  /** What this project makes of the share; default `accepted` (the image then appears in its image list). Changes in place. */
  status?: pulumi.Input<MemberStatus>;
  /** The member project; default: the credential's project. A change replaces. */
  memberId?: pulumi.Input<string>;
  /** How long create waits for the producer to share the image; default 0: fail at once, clearly. */
  waitForShareSeconds?: pulumi.Input<number>;
  /** The status left behind on destroy (a consumer cannot delete a membership, only hide it); default `rejected`. */
  statusOnDelete?: pulumi.Input<StatusOnDelete>;
}

/**
 * The consumer side of a share: this project's answer to being made a member of `imageId`.
 * Id `<imageId>/<memberId>`; type token `pulumi-nodejs:dynamic/glance:MemberAcceptance`.
 */
export class MemberAcceptance extends pulumi.CustomResource {
  declare readonly imageId: pulumi.Output<string>;
  declare readonly memberId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<MemberStatus>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;
  declare readonly statusOnDelete: pulumi.Output<StatusOnDelete>;
  declare readonly region: pulumi.Output<string | undefined>;
  declare readonly cloud: pulumi.Output<string | undefined>;

  constructor(name: string, args: MemberAcceptanceArgs, opts?: pulumi.CustomResourceOptions) {
    refuseImport("MemberAcceptance", name, opts, "leave it out: a MemberAcceptance always acts on the membership that exists");
    super(
      dynamicType("MemberAcceptance"),
      name,
      withProvider("MemberAcceptance", {
        memberId: undefined,
        status: undefined,
        statusOnDelete: undefined,
        region: undefined,
        cloud: undefined,
        ...args,
        createdAt: undefined,
        updatedAt: undefined,
      }),
      opts,
    );
  }
}
