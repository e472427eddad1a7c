"use strict";
// A drift-table stack of the bridged peer (bench/drift.ts): @pulumi/openstack's ImageAccess /
// ImageAccessAccept, one explicit openstack.Provider per clouds.yaml entry, the index.js of its
// project folder, run through the Node.js language host. Inputs: inputs/<stack>.json,
// { "decls": [...] } as in drift-ours.js.
const fs = require("node:fs");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const openstack = require("@pulumi/openstack");

const { decls } = JSON.parse(fs.readFileSync(path.join(__dirname, "inputs", `${pulumi.getStack()}.json`), "utf8"));
const providers = new Map();
const provider = (cloud) => {
  if (!providers.has(cloud)) providers.set(cloud, new openstack.Provider(cloud, { cloud }));
  return providers.get(cloud);
};

// an exported async function: @pulumi/pulumi's loader calls it and waits for it
module.exports = async () => {
  for (const d of decls) {
    if (d.kind === "share")
      new openstack.images.ImageAccess("share", { imageId: d.imageId, memberId: d.memberId }, { provider: provider(d.cloud) });
    else if (d.kind === "accept") {
      new openstack.images.ImageAccessAccept(
        "accept",
        { imageId: d.imageId, status: d.status, ...(d.memberId ? { memberId: d.memberId } : {}) },
        { provider: provider(d.cloud) },
      );
    } else {
      // the composition a Pulumi user has: the image-ids data source, then one acceptance per id
      const args = { owner: d.owner, memberStatus: "all", visibility: "shared", nameRegex: `^${d.prefix}` };
      const found = await openstack.images.getImageIds(args, { provider: provider(d.cloud) });
      for (const id of found.ids ?? [])
        new openstack.images.ImageAccessAccept(`trusted-${id}`, { imageId: id, status: "accepted" }, { provider: provider(d.cloud) });
    }
  }
};
