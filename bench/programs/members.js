"use strict";
// The benchmark's program (bench/measure.ts, bench/scale.ts): the index.js of its project folder, run
// by a plain `pulumi up/preview/refresh/destroy` through the Node.js language host, as a user's
// program is. JavaScript, so no TypeScript is compiled in any timed command. Several stacks share the
// folder; each one's inputs are inputs/<stack>.json, written before its first command:
//   { "members": { "images": [{ "imageId": "…", "memberIds": ["…", …] }, …] } }
//       one ImageMember per membership
//   { "shares": { "images": [{ "imageId": "…", "memberIds": ["…", …] }, …] } }
//       one ImageShare per image
// The stack's `openstack:cloud` config names the clouds.yaml entry once for all of them, as the
// bridged peer's program names it once, on its provider.
//   { "noops": N }   N no-op resources (noop-provider.js)
const fs = require("node:fs");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const inputs = JSON.parse(fs.readFileSync(path.join(__dirname, "inputs", `${pulumi.getStack()}.json`), "utf8"));
if (inputs.members) {
  const { ImageMember } = require("pulumi-image-members");
  const { images } = inputs.members;
  for (const [i, { imageId, memberIds }] of images.entries()) {
    for (const [j, memberId] of memberIds.entries()) new ImageMember(`member-${i}-${j}`, { imageId, memberId });
  }
}
if (inputs.shares) {
  const { ImageShare } = require("pulumi-image-members");
  const { images } = inputs.shares;
  for (const [i, { imageId, memberIds }] of images.entries()) new ImageShare(`share-${i}`, { imageId, memberIds });
}
if (inputs.noops !== undefined) require("./noop-provider.js").declareNoops(pulumi, inputs.noops);
