import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../dev/harness/programs";
import type { Program } from "../../dev/harness/pulumi";
import { testCloud } from "../support/cloud";
import { addMemberRaw, createImage, getMemberRaw, listMembersRaw, setMemberStatusRaw } from "../../dev/harness/images";
import { changes, newStack, type Pkg, type TestStack } from "./support";

/**
 * The forever contract: a stack whose state 0.1.0 wrote under the real CLI (test/fixtures/README.md)
 * is imported with this version installed; its serialized providers load this version's runtime,
 * and the stack refreshes clean, updates and destroys.
 */
const cloud = testCloud();
const C = cloud.projects.consumer;
const O = cloud.projects.outsider;

describe("a stack written by 0.1.0", () => {
  let stack: TestStack;
  let image: string;
  let teamImage: string;
  let acceptStatus: "accepted" | "rejected" = "accepted";
  // the program 0.1.0's stack ran (the fixture's README), with this test's ids
  const program: Program<Pkg> = (pkg) => {
    const m = new pkg.ImageMember("share", { imageId: image, memberId: C });
    new pkg.ImageShare("team", { imageId: teamImage, memberIds: [C, O] });
    const a = new pkg.MemberAcceptance("accept", { imageId: image, cloud: "consumer", status: acceptStatus }, { dependsOn: [m] });
    return { status: a.status };
  };

  beforeAll(async () => {
    // what 0.1.0's up made, made again by hand in this cloud
    image = await createImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "fixture" });
    teamImage = await createImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "fixture-team" });
    for (const [img, member] of [[image, C], [teamImage, C], [teamImage, O]]) await addMemberRaw(cloud.cloudsFile, "producer", img, member);
    await setMemberStatusRaw(cloud.cloudsFile, "consumer", image, C, "accepted");
    const text = fs
      .readFileSync(path.join(REPO_ROOT, "test", "fixtures", "state-0.1.0.json"), "utf8")
      .replaceAll("{{IMAGE}}", image)
      .replaceAll("{{TEAM_IMAGE}}", teamImage)
      .replaceAll("{{CONSUMER}}", C)
      .replaceAll("{{OUTSIDER}}", O)
      .replaceAll("{{PRODUCER}}", cloud.projects.producer);
    stack = await newStack("state-0.1.0", { "openstack:cloud": "producer" }, { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile }, "state-fixture");
    await stack.eng.importState(JSON.parse(text));
  });
  afterAll(() => stack?.remove());

  it("holds 0.1.0's serialized providers, which require only pulumi-image-members/runtime", () => {
    const members = stack.eng.resources().filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/glance:"));
    expect(members).toHaveLength(4);
    for (const r of members) {
      const requires = [...String(r.inputs.__provider).matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(new Set(requires)).toEqual(new Set(["pulumi-image-members/runtime"]));
    }
  });

  it("refreshes clean with this version: both drift checks pass", async () => {
    await stack.expectNoDrift(program);
  });

  it("updates: the consumer's status changes in place, and the updated resource holds this version's provider", async () => {
    acceptStatus = "rejected";
    expect(changes(await stack.up(program))).toEqual(["update:accept"]);
    const accept = stack.eng.resource("accept");
    for (const text of [String(accept.inputs.__provider), String(accept.outputs.__provider)]) {
      console.log(`[state-0.1.0] this version's __provider (${Buffer.byteLength(text)} bytes):\n${text}`);
      expectProviderModule(text, "pulumi-image-members/dynamic/member-acceptance");
    }
    // a resource the update left alone keeps the outputs 0.1.0 stored, provider included; the engine
    // records the program's inputs, and so this version's provider, beside them
    const share = stack.eng.resource("share");
    expect(String(share.outputs.__provider)).toContain('require("pulumi-image-members/runtime")');
    expectProviderModule(String(share.inputs.__provider), "pulumi-image-members/dynamic/image-member");
    expect((await getMemberRaw(cloud.cloudsFile, "consumer", image, C)).body.status).toBe("rejected");
    await stack.expectNoDrift(program);
  });

  it("destroys: the producer's members are gone", async () => {
    await stack.destroy();
    expect((await listMembersRaw(cloud.cloudsFile, "producer", image)).body.members).toEqual([]);
    expect((await listMembersRaw(cloud.cloudsFile, "producer", teamImage)).body.members).toEqual([]);
  });
});

/**
 * The serialized provider Pulumi stores (`__provider`) for a package installed under node_modules:
 * a require of the provider's own module and nothing else, at most 512 bytes.
 */
function expectProviderModule(text: string, modulePath: string): void {
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(512);
  expect([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual([modulePath]);
}

