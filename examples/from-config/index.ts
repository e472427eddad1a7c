import * as pulumi from "@pulumi/pulumi";
import { ImageShare, MemberAcceptance, type MemberStatus } from "pulumi-image-members";

// Sharing as data. A producer stack lists `shares`, a consumer stack `accept`; one stack may do both.
//
//   config:
//     image-members:shares:
//       - imageId: 8c1f...
//         projectIds: [<consumer project id>, ...]
//     image-members:accept:
//       - imageId: 5d2e...
//         status: accepted        # optional: accepted (default), rejected or pending
//     image-members:cloud: producer   # optional clouds.yaml entry; else openstack:*, OS_CLOUD, OS_*

interface Share {
  imageId: string;
  projectIds: string[];
  cloud?: string;
}
interface Accept {
  imageId: string;
  status?: MemberStatus;
  cloud?: string;
  waitForShareSeconds?: number;
}

const config = new pulumi.Config("image-members");
const shares = config.getObject<Share[]>("shares") ?? [];
const accepts = config.getObject<Accept[]>("accept") ?? [];
const cloud = config.get("cloud");
if (shares.length === 0 && accepts.length === 0) {
  throw new Error("nothing to do: set image-members:shares (images to share) and/or image-members:accept (shares to accept)");
}

const sharesByImage = new Map(shares.map((s) => [s.imageId, new ImageShare(`share-${s.imageId}`, {
  imageId: s.imageId, memberIds: s.projectIds, cloud: s.cloud ?? cloud,
})]));
export const shared = Object.fromEntries([...sharesByImage].map(([imageId, share]) => [imageId, Object.keys(share.members)]));

export const accepted = Object.fromEntries(accepts.map((a) => {
  // When this stack also shares the image, accept after sharing and stop accepting before
  // unsharing (Glance can revive a member whose status is set while it is being deleted).
  const share = sharesByImage.get(a.imageId);
  const acceptance = new MemberAcceptance(`accept-${a.imageId}`, {
    imageId: a.imageId, status: a.status, cloud: a.cloud ?? cloud, waitForShareSeconds: a.waitForShareSeconds,
  }, share ? { dependsOn: [share] } : {});
  return [a.imageId, acceptance.status];
}));
