import * as pulumi from "@pulumi/pulumi";
import { ImageMember } from "./image-member";

export interface ImageShareArgs {
  imageId: pulumi.Input<string>;
  /** The projects to share the image with; each gets an ImageMember named `${name}-${memberId}`. */
  memberIds: string[];
  cloud?: pulumi.Input<string>;
  region?: pulumi.Input<string>;
  adoptExisting?: pulumi.Input<boolean>;
}

/** One image shared with several projects. Type token `image-members:index:ImageShare`. */
export class ImageShare extends pulumi.ComponentResource {
  /** The members by project id. */
  readonly members: Record<string, ImageMember>;

  constructor(name: string, args: ImageShareArgs, opts?: pulumi.ComponentResourceOptions) {
    super("image-members:index:ImageShare", name, {}, opts);
    const duplicates = args.memberIds.filter((id, i) => args.memberIds.indexOf(id) !== i);
    if (duplicates.length) throw new Error(`ImageShare ${name}: memberIds lists ${[...new Set(duplicates)].join(", ")} more than once`);
    this.members = Object.fromEntries(args.memberIds.map((memberId) => [memberId, new ImageMember(`${name}-${memberId}`, {
      imageId: args.imageId, memberId, cloud: args.cloud, region: args.region, adoptExisting: args.adoptExisting,
    }, { parent: this })]));
    this.registerOutputs({ memberIds: args.memberIds });
  }
}
