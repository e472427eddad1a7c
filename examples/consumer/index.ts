import * as pulumi from "@pulumi/pulumi";
import { AcceptShares, MemberAcceptance, type MemberStatus } from "pulumi-image-members";

// A member project's stack: the images in `images` are accepted (or given the status listed), and
// every image the owners in `acceptFrom` share with this project is accepted without being named.
//   pulumi config set --path 'images[0].imageId' 8c1f...
//   pulumi config set --path 'images[0].status' rejected      # optional, default accepted
//   pulumi config set --path 'images[0].name' golden          # optional: a stable label, default the image id
//   pulumi config set --path 'acceptFrom.owners[0]' 50ffef97...   # a producer project this project trusts
//   pulumi config set --path 'acceptFrom.nameMatch' 'golden-*'    # optional glob (* and ?)
//   pulumi config set --path 'acceptFrom.tags[0]' approved        # optional: images carrying every tag listed
//   pulumi config set cloud consumer                          # optional clouds.yaml entry
// See README.md.
interface Answer {
  imageId: string;
  status?: MemberStatus;
  /** Names the resource (`accept-<name>`); default: the image id. */
  name?: string;
}
interface AcceptFrom {
  owners: string[];
  nameMatch?: string;
  tags?: string[];
}

const config = new pulumi.Config();
const project = pulumi.getProject();
const images = config.getObject<Answer[]>("images");
const acceptFrom = config.getObject<AcceptFrom>("acceptFrom");
const cloud = config.get("cloud");
// wait this long for the producer to share an image before failing (unset or 0: fail at once)
const waitForShareSeconds = config.getNumber("waitForShareSeconds");

if (images === undefined && acceptFrom === undefined) {
  throw new Error(
    `set ${project}:images (the ids of images to accept) or ${project}:acceptFrom (the owners whose shares to accept); see README.md`,
  );
}
if (images !== undefined && !Array.isArray(images)) {
  throw new Error(`config ${project}:images must be a list of {imageId, status?}; see README.md`);
}
for (const [i, image] of (images ?? []).entries()) {
  if (!image || typeof image.imageId !== "string") {
    throw new Error(`config ${project}:images[${i}] needs imageId (a string)`);
  }
}
if (acceptFrom !== undefined && (typeof acceptFrom !== "object" || !Array.isArray(acceptFrom.owners))) {
  throw new Error(`config ${project}:acceptFrom needs owners (a list of project ids); see README.md`);
}

// Named after the image (or its label), not its position: removing an entry touches only that one.
const answers = (images ?? []).map(
  (image) =>
    new MemberAcceptance(`accept-${image.name ?? image.imageId}`, {
      imageId: image.imageId,
      status: image.status,
      cloud,
      waitForShareSeconds,
    }),
);

// Every image the trusted owners share (that matches nameMatch and carries the tags), accepted by one
// resource: a new share is a change the drift check reports until the next `pulumi up` accepts it.
const discovered = acceptFrom
  ? new AcceptShares("accept-from", { owners: acceptFrom.owners, nameMatch: acceptFrom.nameMatch, tags: acceptFrom.tags, cloud }).imageIds
  : pulumi.output([] as string[]);

const rows = pulumi
  .all([pulumi.all(answers.map((a) => pulumi.all([a.imageId, a.status]))), discovered])
  .apply(([named, found]) => [...named, ...found.map((imageId): [string, MemberStatus] => [imageId, "accepted"])]);

/** The images this project accepted: they appear in its image list (`openstack image list`). */
export const accepted = rows.apply((all) => all.filter(([, status]) => status === "accepted").map(([imageId]) => imageId));
/** Every answer, image id → status. */
export const statuses = rows.apply((all) => Object.fromEntries(all));
