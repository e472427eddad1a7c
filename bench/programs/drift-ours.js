"use strict";
// A drift-table stack of ours (bench/drift.ts): the index.js of its project folder, run through the
// Node.js language host. Inputs: inputs/<stack>.json, { "decls": [...] } with bench/drift.ts's Decl:
//   { kind: "share", cloud, imageId, memberId }                 ImageShare "share" of that one member
//   { kind: "accept", cloud, imageId, status, memberId? }       MemberAcceptance "accept"
//   { kind: "acceptFrom", cloud, owner, prefix }                AcceptShares "trusted"
const fs = require("node:fs");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const { AcceptShares, ImageShare, MemberAcceptance } = require("pulumi-image-members");

const { decls } = JSON.parse(fs.readFileSync(path.join(__dirname, "inputs", `${pulumi.getStack()}.json`), "utf8"));
for (const d of decls) {
  if (d.kind === "share") new ImageShare("share", { imageId: d.imageId, memberIds: [d.memberId], cloud: d.cloud });
  else if (d.kind === "accept")
    new MemberAcceptance("accept", {
      imageId: d.imageId,
      status: d.status,
      ...(d.memberId ? { memberId: d.memberId } : {}),
      cloud: d.cloud,
    });
  else new AcceptShares("trusted", { owners: [d.owner], nameMatch: `${d.prefix}*`, cloud: d.cloud });
}
