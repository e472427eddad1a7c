"use strict";
// The benchmark's program for the bridged peer (bench/measure.ts --peers, bench/scale.ts): one
// images.ImageAccess of @pulumi/openstack per membership, the index.js of its project folder, run
// through the Node.js language host. Inputs: inputs/<stack>.json,
//   { "cloud": "producer", "imageUrl": "http://…/v2/", "images": [{ "imageId": "…", "memberIds": ["…", …] }, …] }
const fs = require("node:fs");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const openstack = require("@pulumi/openstack");

const { cloud, imageUrl, images } = JSON.parse(fs.readFileSync(path.join(__dirname, "inputs", `${pulumi.getStack()}.json`), "utf8"));
// credentials from the clouds.yaml entry (OS_CLIENT_CONFIG_FILE), Glance through the counting proxy
const provider = new openstack.Provider(cloud, { cloud, endpointOverrides: { image: imageUrl } });
for (const [i, { imageId, memberIds }] of images.entries()) {
  for (const [j, memberId] of memberIds.entries()) {
    new openstack.images.ImageAccess(`member-${i}-${j}`, { imageId, memberId }, { provider });
  }
}
