import * as pulumi from "@pulumi/pulumi";
import { MemberAcceptance, type MemberStatus } from "pulumi-image-members";

// A member project's stack: the images in `images` are accepted (or given the status listed).
//   pulumi config set --path 'images[0].imageId' 8c1f...
//   pulumi config set --path 'images[0].status' rejected      # optional, default accepted
//   pulumi config set --path 'images[0].name' golden          # optional: a stable label, default the image id
//   pulumi config set cloud consumer                          # optional clouds.yaml entry
// See README.md.
interface Answer {
  imageId: string;
  status?: MemberStatus;
  /** Names the resource (`accept-<name>`); default: the image id. */
  name?: string;
}

const config = new pulumi.Config();
const images = config.requireObject<Answer[]>("images");
const cloud = config.get("cloud");
// wait this long for the producer to share an image before failing (unset or 0: fail at once)
const waitForShareSeconds = config.getNumber("waitForShareSeconds");

if (!Array.isArray(images)) {
  throw new Error(`config ${pulumi.getProject()}:images must be a list of {imageId, status?}; see README.md`);
}
for (const [i, image] of images.entries()) {
  if (!image || typeof image.imageId !== "string") {
    throw new Error(`config ${pulumi.getProject()}:images[${i}] needs imageId (a string)`);
  }
}

// Named after the image (or its label), not its position: removing an entry touches only that one.
const answers = images.map((image) => new MemberAcceptance(`accept-${image.name ?? image.imageId}`, {
  imageId: image.imageId,
  status: image.status,
  cloud,
  waitForShareSeconds,
}));

/** The images this project accepted: they appear in its image list (`openstack image list`). */
export const accepted = pulumi.all(answers.map((a) => pulumi.all([a.imageId, a.status])))
  .apply((rows) => rows.filter(([, status]) => status === "accepted").map(([imageId]) => imageId));
/** Every answer, image id → status. */
export const statuses = pulumi.all(answers.map((a) => pulumi.all([a.imageId, a.status])))
  .apply((rows) => Object.fromEntries(rows));
