import * as pulumi from "@pulumi/pulumi";
import { AcceptShares, ImageShare, MemberAcceptance, type MemberStatus } from "pulumi-image-members";

// Sharing as data. A producer stack lists `shares`, a consumer stack `accept`; one stack may do both.
//
//   config:
//     image-members:shares:
//       - imageId: 8c1f...
//         projectIds: [<consumer project id>, ...]
//     image-members:accept:
//       - imageId: 5d2e...
//         status: accepted        # optional: accepted (default), rejected or pending
//     image-members:acceptFrom:     # accept whatever these owners share, without naming images
//       owners: [<producer project id>, ...]
//       nameMatch: golden-*         # optional glob (* and ?)
//       tags: [approved]            # optional: images carrying every tag listed
//       cloud: consumer             # optional
//     image-members:cloud: producer   # optional clouds.yaml entry; else openstack:*, OS_CLOUD, OS_*

interface Share {
  imageId: string;
  projectIds: string[];
  cloud?: string;
}
interface AcceptFrom {
  owners: string[];
  nameMatch?: string;
  tags?: string[];
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
const acceptFrom = config.getObject<AcceptFrom>("acceptFrom");
const cloud = config.get("cloud");
if (shares.length === 0 && accepts.length === 0 && acceptFrom === undefined) {
  throw new Error(
    "nothing to do: set image-members:shares (images to share), image-members:accept (shares to accept) and/or image-members:acceptFrom (owners whose shares to accept)",
  );
}
if (acceptFrom !== undefined && (typeof acceptFrom !== "object" || !Array.isArray(acceptFrom.owners))) {
  throw new Error("image-members:acceptFrom needs owners (a list of project ids)");
}

const sharesByImage = new Map(
  shares.map((s) => [
    s.imageId,
    new ImageShare(`share-${s.imageId}`, {
      imageId: s.imageId,
      memberIds: s.projectIds,
      cloud: s.cloud ?? cloud,
    }),
  ]),
);
export const shared = Object.fromEntries([...sharesByImage].map(([imageId, share]) => [imageId, share.memberIds]));

const named = Object.fromEntries(
  accepts.map((a) => {
    // When this stack also shares the image, accept after sharing and stop accepting before
    // unsharing (Glance can revive a member whose status is set while it is being deleted).
    const share = sharesByImage.get(a.imageId);
    const acceptance = new MemberAcceptance(
      `accept-${a.imageId}`,
      {
        imageId: a.imageId,
        status: a.status,
        cloud: a.cloud ?? cloud,
        waitForShareSeconds: a.waitForShareSeconds,
      },
      share ? { dependsOn: [share] } : {},
    );
    return [a.imageId, acceptance.status];
  }),
);

// Whatever the trusted owners share with this project, accepted by one resource, `accept-from`.
const discovered = acceptFrom
  ? new AcceptShares("accept-from", {
      owners: acceptFrom.owners,
      nameMatch: acceptFrom.nameMatch,
      tags: acceptFrom.tags,
      cloud: acceptFrom.cloud ?? cloud,
    }).imageIds
  : pulumi.output([] as string[]);

/** Image id → status, of the images named in `accept` and those found through `acceptFrom`. */
export const accepted = pulumi
  .all([pulumi.output(named), discovered])
  .apply(([byId, found]) => ({ ...Object.fromEntries(found.map((id) => [id, "accepted"])), ...byId }));
