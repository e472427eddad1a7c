import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../dev/harness/programs";
import type { Program } from "../../dev/harness/pulumi";
import { testCloud } from "../support/cloud";
import { addMemberRaw, getMemberRaw, listMembersRaw, setMemberStatusRaw } from "../../dev/harness/images";
import { changes, newStack, type Pkg, type TestStack } from "./support";
import { createTestImage } from "../support/images";

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
    image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "fixture" });
    teamImage = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "fixture-team" });
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
    const text = String(stack.eng.resource("accept").inputs.__provider);
    console.log(`[state-0.1.0] this version's __provider:\n${text}`);
    expectProviderText(text, "memberAcceptanceProvider");
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
 * The serialized provider Pulumi stores (`__provider`), pinned by its structure: seven methods, each
 * a function that requires only `pulumi-image-members/runtime`, capturing nothing but the name of the
 * runtime export it calls (a string) — no module, no object, no other value.
 */
function expectProviderText(text: string, exportName: string): void {
  const methods = /var __provider = \{([^}]*)\};/.exec(text)?.[1].split(",").map((m) => m.trim().split(":")[0]);
  expect(methods).toEqual(["configure", "check", "diff", "create", "read", "update", "delete"]);
  expect(new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))).toEqual(new Set(["pulumi-image-members/runtime"]));
  // every captured environment: `with({ … })`, without the `this`/`arguments` every function has
  const captures = [...text.matchAll(/with\(\{ ?(.*?) ?\}\)/g)].map((m) => m[1].replace(/,? ?this: undefined, arguments: undefined/, "").trim());
  expect(captures.length).toBeGreaterThan(7);
  for (const c of captures) expect(["", `name: "${exportName}"`, "provider: __provider"]).toContain(c);
  expect(captures.filter((c) => c === `name: "${exportName}"`)).toHaveLength(6);
}

