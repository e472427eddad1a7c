import * as pulumi from "@pulumi/pulumi";
import { ImageShare } from "pulumi-image-members";

// The image owner's stack: each image in `shares` is shared with the projects listed for it.
//   pulumi config set --path 'shares[0].imageId' 8c1f...
//   pulumi config set --path 'shares[0].projectIds[0]' <consumer project id>
interface Share {
  imageId: string;
  projectIds: string[];
}

const config = new pulumi.Config();
const shares = config.requireObject<Share[]>("shares");
const cloud = config.get("cloud"); // a clouds.yaml entry; unset: openstack:* config, OS_CLOUD, OS_*

export const sharedWith: Record<string, pulumi.Output<string>[]> = {};
for (const [i, share] of shares.entries()) {
  const images = new ImageShare(`share-${i}`, { imageId: share.imageId, memberIds: share.projectIds, cloud });
  sharedWith[share.imageId] = Object.values(images.members).map((m) => m.memberId);
}
