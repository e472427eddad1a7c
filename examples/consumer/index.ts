import * as pulumi from "@pulumi/pulumi";
import { MemberAcceptance, type MemberStatus } from "pulumi-image-members";

// A member project's stack: the images in `images` are accepted (or given the status listed).
//   pulumi config set --path 'images[0].imageId' 8c1f...
//   pulumi config set --path 'images[0].status' rejected      # optional, default accepted
interface Answer {
  imageId: string;
  status?: MemberStatus;
}

const config = new pulumi.Config();
const images = config.requireObject<Answer[]>("images");
const cloud = config.get("cloud");
// wait this long for the producer to share an image before failing (0: fail at once)
const waitForShareSeconds = config.getNumber("waitForShareSeconds") ?? 0;

const answers = images.map((image, i) => new MemberAcceptance(`image-${i}`, {
  imageId: image.imageId,
  status: image.status,
  cloud,
  waitForShareSeconds,
}));

export const accepted = pulumi.all(answers.map((a) => pulumi.all([a.imageId, a.status])))
  .apply((rows) => rows.filter(([, status]) => status === "accepted").map(([imageId]) => imageId));
