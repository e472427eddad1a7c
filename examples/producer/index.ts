import * as pulumi from "@pulumi/pulumi";
import { ImageShare } from "pulumi-image-members";

// The image owner's stack: each image in `shares` is shared with the projects listed for it.
//   pulumi config set --path 'shares[0].imageId' 8c1f...
//   pulumi config set --path 'shares[0].projectIds[0]' <consumer project id>
//   pulumi config set --path 'shares[0].name' golden      # optional: a stable label, default the image id
//   pulumi config set cloud producer                       # optional clouds.yaml entry
// See README.md.
interface Share {
  imageId: string;
  projectIds: string[];
  /** Names the resources (`share-<name>`, `share-<name>-<project id>`); default: the image id. */
  name?: string;
}

const config = new pulumi.Config();
const shares = config.requireObject<Share[]>("shares");
const cloud = config.get("cloud"); // a clouds.yaml entry; unset: openstack:* config, OS_CLOUD, OS_*

if (!Array.isArray(shares)) {
  throw new Error(`config ${pulumi.getProject()}:shares must be a list of {imageId, projectIds}; see README.md`);
}
for (const [i, share] of shares.entries()) {
  if (!share || typeof share.imageId !== "string" || !Array.isArray(share.projectIds)) {
    throw new Error(`config ${pulumi.getProject()}:shares[${i}] needs imageId (a string) and projectIds (a list of project ids)`);
  }
}

// Resources are named after the image (or its label), not its position in the list: removing or
// reordering entries then touches only the entries concerned.
export const sharedWith: Record<string, pulumi.Output<string[]>> = {};
for (const share of shares) {
  const images = new ImageShare(`share-${share.name ?? share.imageId}`, { imageId: share.imageId, memberIds: share.projectIds, cloud });
  sharedWith[share.imageId] = images.memberIds;
}
