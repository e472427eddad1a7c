import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMemberRaw, getMemberRaw, listMembersRaw, setMemberStatusRaw } from "../../dev/harness/images";
import { REPO_ROOT } from "../../dev/harness/programs";
import type { Program } from "../../dev/harness/pulumi";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { changes, newStack, type Pkg, type TestStack } from "./support";

/**
 * The forever contract: a stack whose state an earlier version wrote under the real CLI
 * (test/fixtures/README.md) is imported with this version installed; its serialized providers load
 * this version's runtime. The same program then moves the components' children (ImageShare's
 * ImageMembers, AcceptShares' MemberAcceptances) into one resource each without removing a membership
 * or changing a status, refreshes clean, updates and destroys.
 */
const cloud = testCloud();
const P = cloud.projects.producer;
const C = cloud.projects.consumer;
const O = cloud.projects.outsider;

type Status = "accepted" | "rejected";

/** What a fixture's program needs of this test's run. */
interface Run {
  image: string;
  teamImage: string;
  /** The name of IMAGE; TEAM_IMAGE adds `-team` (AcceptShares matches both and no other test's shares in the rig). */
  imageName: string;
  /** The status the update gives; the fixture's program left it at its default, `accepted`. */
  status: Status;
  /** ImageShare's adoptExisting: what the move of answered members needs. */
  adoptExisting?: boolean;
}

interface EarlierState {
  /** The version that wrote the state: test/fixtures/state-<version>.json. */
  version: string;
  /** The program that wrote it (the fixture's README), with this run's ids. */
  program(run: Run): Program<Pkg>;
  /** The images whose membership the consumer had accepted when the state was written. */
  accepted(run: Run): string[];
  /** Dynamic resources in the state: every membership and acceptance. */
  dynamicResources: number;
  /** The resources the update changes in place. */
  updated(run: Run): string[];
  /** The steps of the move: the new resources, and the components and children it replaces. */
  move(run: Run): string[];
}

const earlierStates: EarlierState[] = [
  {
    version: "0.1.0",
    program: (run) => (pkg) => {
      const m = new pkg.ImageMember("share", { imageId: run.image, memberId: C });
      new pkg.ImageShare("team", { imageId: run.teamImage, memberIds: [C, O], adoptExisting: run.adoptExisting });
      const a = new pkg.MemberAcceptance("accept", { imageId: run.image, cloud: "consumer", status: run.status }, { dependsOn: [m] });
      return { status: a.status };
    },
    accepted: (run) => [run.image],
    dynamicResources: 4,
    updated: () => ["accept"],
    move: () => ["create:team", "delete:team", `delete:team-${C}`, `delete:team-${O}`],
  },
  {
    version: "d2a9611",
    program: (run) => (pkg) => {
      const m = new pkg.ImageMember("share", { imageId: run.image, memberId: C });
      new pkg.ImageShare("team", { imageId: run.teamImage, memberIds: [C, O], adoptExisting: run.adoptExisting });
      const a = new pkg.MemberAcceptance("accept", { imageId: run.image, cloud: "consumer", status: run.status }, { dependsOn: [m] });
      // both images are shared by the producer: one acceptance each, the image's beside "accept"
      // (the update gives them the same status, else each would see the other's answer as drift)
      new pkg.AcceptShares(
        "trusted",
        { owners: [P], nameMatch: `${run.imageName}*`, cloud: "consumer", status: run.status },
        { dependsOn: [m] },
      );
      return { status: a.status };
    },
    accepted: (run) => [run.image, run.teamImage],
    dynamicResources: 6,
    updated: () => ["accept", "trusted"],
    move: (run) => [
      "create:team",
      "delete:team",
      `delete:team-${C}`,
      `delete:team-${O}`,
      "create:trusted",
      "delete:trusted",
      `delete:trusted-${run.image}`,
      `delete:trusted-${run.teamImage}`,
    ],
  },
];

describe.each(earlierStates)("a stack written by $version", (earlier) => {
  let stack: TestStack;
  const run: Run = { image: "", teamImage: "", imageName: `state-fixture-${randomBytes(4).toString("hex")}`, status: "accepted" };
  const program = earlier.program(run);
  /** The steps of the up that stopped before the move. */
  let stopped: string[] = [];

  beforeAll(async () => {
    // what the earlier version's up made, made again by hand in this cloud
    run.image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: run.imageName });
    run.teamImage = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: `${run.imageName}-team` });
    await addMemberRaw(cloud.cloudsFile, "producer", run.image, C);
    for (const member of [C, O]) await addMemberRaw(cloud.cloudsFile, "producer", run.teamImage, member);
    for (const img of earlier.accepted(run)) await setMemberStatusRaw(cloud.cloudsFile, "consumer", img, C, "accepted");
    // the consumer has answered the team share since the earlier version's up
    await setMemberStatusRaw(cloud.cloudsFile, "consumer", run.teamImage, C, "accepted");
    const text = fs
      .readFileSync(path.join(REPO_ROOT, "test", "fixtures", `state-${earlier.version}.json`), "utf8")
      .replaceAll("{{IMAGE}}", run.image)
      .replaceAll("{{TEAM_IMAGE}}", run.teamImage)
      .replaceAll("{{CONSUMER}}", C)
      .replaceAll("{{OUTSIDER}}", O)
      .replaceAll("{{PRODUCER}}", P);
    stack = await newStack(
      `state-${earlier.version}`,
      { "openstack:cloud": "producer" },
      { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile },
      "state-fixture",
    );
    await stack.eng.importState(JSON.parse(text));
  });
  afterAll(() => stack?.remove());

  it("holds the earlier serialized providers, which require only pulumi-image-members/runtime", () => {
    const members = stack.eng.resources().filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/glance:"));
    expect(members).toHaveLength(earlier.dynamicResources);
    for (const r of members) {
      const requires = [...String(r.inputs.__provider).matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(new Set(requires)).toEqual(new Set(["pulumi-image-members/runtime"]));
    }
  });

  it("the drift check names the move to one resource per set, and only that", async () => {
    const drift = await stack.expectDrift(program);
    expect(changes(drift).sort()).toEqual(earlier.move(run).sort());
    // every resource the earlier version made is still what it recorded
    expect((await stack.eng.refresh({ previewOnly: true, expectNoChanges: true })).exitCode).toBe(0);
  });

  it("a plain up stops before any write, naming adoptExisting: the consumer answered a member of the team share", async () => {
    const before = await membersOf(run.teamImage);
    const r = await stack.up(program, { allowFailure: true });
    stopped = changes({ ...r, steps: r.steps.filter((s) => !s.error) });
    expect(r.exitCode).not.toBe(0);
    expect(r.message).toMatch(
      /ImageShare: image \S+ already has 1 of these members, which this stack's state does not hold: \S+ \(accepted\); nothing was changed/,
    );
    expect(r.message).toContain("set adoptExisting: true on the ImageShare and run pulumi up again");
    expect(await membersOf(run.teamImage)).toEqual(before);
    expect(stack.eng.resource(`team-${C}`)).toBeDefined();
  });

  it("with adoptExisting, up completes the move: no membership removed, no status changed; both drift checks then pass", async () => {
    const before = await membersOf(run.teamImage);
    const answers = await Promise.all(
      earlier.accepted(run).map(async (img) => (await getMemberRaw(cloud.cloudsFile, "consumer", img, C)).body.status),
    );
    run.adoptExisting = true;
    const moved = await stack.up(program);
    // what the stopped up did (the resources it created beside the refused ImageShare) and this one
    expect([...stopped, ...changes(moved)].sort()).toEqual(earlier.move(run).sort());
    expect(await membersOf(run.teamImage)).toEqual(before);
    expect(
      await Promise.all(earlier.accepted(run).map(async (img) => (await getMemberRaw(cloud.cloudsFile, "consumer", img, C)).body.status)),
    ).toEqual(answers);
    expect(stack.eng.resources().map((r) => r.type)).not.toContain("image-members:index:ImageShare");
    await stack.expectNoDrift(program);
  });

  it("updates: the consumer's status changes in place, and the updated resources hold this version's provider", async () => {
    run.status = "rejected";
    const updated = earlier.updated(run);
    expect(changes(await stack.up(program)).sort()).toEqual(updated.map((name) => `update:${name}`).sort());
    for (const name of updated) {
      const resource = stack.eng.resource(name);
      const module = resource.type.endsWith(":AcceptShares") ? "accept-shares" : "member-acceptance";
      for (const text of [String(resource.inputs.__provider), String(resource.outputs.__provider)]) {
        console.log(`[state-${earlier.version}] ${name}: this version's __provider (${Buffer.byteLength(text)} bytes):\n${text}`);
        expectProviderModule(text, `pulumi-image-members/dynamic/${module}`);
      }
    }
    // a resource the update left alone keeps the outputs the earlier version stored, provider
    // included; the engine records the program's inputs, and so this version's provider, beside them
    const share = stack.eng.resource("share");
    expect(String(share.outputs.__provider)).toContain('require("pulumi-image-members/runtime")');
    expectProviderModule(String(share.inputs.__provider), "pulumi-image-members/dynamic/image-member");
    for (const img of earlier.accepted(run)) {
      expect((await getMemberRaw(cloud.cloudsFile, "consumer", img, C)).body.status).toBe("rejected");
    }
    await stack.expectNoDrift(program);
  });

  it("destroys: the producer's members are gone", async () => {
    await stack.destroy();
    expect((await listMembersRaw(cloud.cloudsFile, "producer", run.image)).body.members).toEqual([]);
    expect((await listMembersRaw(cloud.cloudsFile, "producer", run.teamImage)).body.members).toEqual([]);
  });
});

/** The members of an image as Glance lists them (id and status), sorted. */
async function membersOf(imageId: string): Promise<string[]> {
  const members = (await listMembersRaw(cloud.cloudsFile, "producer", imageId)).body.members as { member_id: string; status: string }[];
  return members.map((m) => `${m.member_id}:${m.status}`).sort();
}

/**
 * The serialized provider this version stores (`__provider`), from any install: a require of the
 * provider's own module and nothing else, at most 512 bytes.
 */
function expectProviderModule(text: string, modulePath: string): void {
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(512);
  expect([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual([modulePath]);
}
