import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cloudsFileVia,
  type FaultLogEntry,
  type FaultProxy,
  leaksIn,
  removeCloudsCopies,
  startFaultProxy,
} from "../../dev/harness/fault-proxy";
import { addMemberRaw, deleteMemberRaw, listMembersRaw, setMemberStatusRaw } from "../../dev/harness/images";
import type { Program, RunResult } from "../../dev/harness/pulumi";
import { resourceErrors } from "../support/cli-output";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { changes, expectNoSecrets, newStack, type Pkg, type TestStack } from "./support";

/**
 * ImageShare, one resource for an image's member set, through the real CLI and plugin host against
 * the real Glance, which the plugin reaches through a proxy that counts (and, for one test, refuses)
 * its requests: creates, updates and refreshes cost what README promises, drift is what DESIGN.md
 * says it is, and a failure part way keeps what was done. The raw calls that arrange drift go to
 * Glance directly, so they are not counted.
 */
const cloud = testCloud();
const C = cloud.projects.consumer;
const SHARE = "pulumi-nodejs:dynamic/glance:ImageShare";
const newProjectId = () => crypto.randomUUID().replaceAll("-", "");

let proxy: FaultProxy;
let env: Record<string, string>;
const stacks: TestStack[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(cloud.imageUrl, { seed: 1 });
  env = { OS_CLIENT_CONFIG_FILE: cloudsFileVia(cloud.cloudsFile, { glance: proxy.url }) };
});

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.remove()));
  await proxy?.close();
  removeCloudsCopies();
});

async function stackFor(label: string): Promise<TestStack> {
  const stack = await newStack(label, { "openstack:cloud": "producer" }, env);
  stacks.push(stack);
  return stack;
}

/** Deleted after the file's tests (test/support/images.ts). */
const sharedImage = (name: string) => createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name });

async function membersInGlance(image: string): Promise<string[]> {
  const r = await listMembersRaw(cloud.cloudsFile, "producer", image);
  expect(r.status).toBe(200);
  return (r.body.members as { member_id: string }[]).map((m) => m.member_id).sort();
}

/** The Glance requests the plugin made during `command`, by kind, for one image. */
async function counted(
  image: string,
  command: () => Promise<RunResult>,
): Promise<{ result: RunResult; list: number; post: number; del: FaultLogEntry[]; other: FaultLogEntry[] }> {
  const from = proxy.log().length;
  const result = await command();
  const log = proxy.log().slice(from);
  const members = `/v2/images/${image}/members`;
  return {
    result,
    list: log.filter((e) => e.method === "GET" && e.path === members).length,
    post: log.filter((e) => e.method === "POST" && e.path === members).length,
    del: log.filter((e) => e.method === "DELETE" && e.path.startsWith(`${members}/`)),
    other: log.filter(
      (e) => !(["GET", "POST"].includes(e.method) && e.path === members) && !(e.method === "DELETE" && e.path.startsWith(`${members}/`)),
    ),
  };
}
const deletedMembers = (del: FaultLogEntry[]) => del.map((e) => e.path.slice(e.path.lastIndexOf("/") + 1)).sort();

const sorted = (ids: string[]) => [...ids].sort();

describe("an ImageShare of 20 members", () => {
  let image: string;
  let stack: TestStack;
  let memberIds = [C, ...Array.from({ length: 19 }, newProjectId)];
  const program: Program<Pkg> = (pkg) => {
    const share = new pkg.ImageShare("team", { imageId: image, memberIds });
    return { memberIds: share.memberIds };
  };

  beforeAll(async () => {
    [image, stack] = await Promise.all([sharedImage("image-share-20"), stackFor("image-share-20")]);
  });

  it("up creates exactly the members, with one list request and one POST each; both drift checks pass; a refresh reads one list", async () => {
    const up = await counted(image, () => stack.up(program));
    expect(changes(up.result)).toEqual(["create:test-project-dev", "create:team"]);
    expect(stack.eng.resource("team")).toMatchObject({ urn: stack.eng.urn(SHARE, "team"), id: image });
    expect(up.result.outputs).toEqual({ memberIds });
    expect(up).toMatchObject({ list: 1, post: 20, del: [] });
    expect(await membersInGlance(image)).toEqual(sorted(memberIds));
    await stack.expectNoDrift(program);

    const refresh = await counted(image, () => stack.eng.refresh({ previewOnly: true, expectNoChanges: true }));
    expect(refresh).toMatchObject({ list: 1, post: 0, del: [] });
    expect(refresh.other.filter((e) => e.path.includes("/members"))).toEqual([]);
  }, 300_000);

  it("a declared member removed by hand is drift, named by preview --diff; a plain up does not see it; up --refresh adds it back with one POST", async () => {
    const gone = memberIds[7]!;
    expect((await deleteMemberRaw(cloud.cloudsFile, "producer", image, gone)).status).toBe(204);

    const drift = await stack.eng.preview(program, { refresh: true, expectNoChanges: true, diff: true, allowFailure: true });
    stack.results.push(drift);
    expect(drift.exitCode).toBe(7);
    expect(changes(drift)).toEqual(["update:team"]);
    expect(drift.stdout).toContain(gone);
    const refresh = await stack.eng.refresh({ previewOnly: true, expectNoChanges: true, allowFailure: true });
    expect(refresh.exitCode).toBe(7);
    expect(changes(refresh)).toEqual(["refresh-update:team"]);

    const plain = await counted(image, () => stack.up(program));
    expect(changes(plain.result)).toEqual([]);
    expect(plain).toMatchObject({ list: 0, post: 0, del: [] });
    expect(await membersInGlance(image)).not.toContain(gone);

    const repair = await counted(image, () => stack.up(program, { refresh: true }));
    expect(changes(repair.result)).toEqual(["update:team"]);
    expect(repair).toMatchObject({ list: 1, post: 1, del: [] }); // the refresh's list, then the one member
    expect(await membersInGlance(image)).toEqual(sorted(memberIds));
    await stack.expectNoDrift(program);
  }, 300_000);

  it("the consumer accepting or rejecting is never drift; a refresh records its answer in statuses", async () => {
    expect((await setMemberStatusRaw(cloud.cloudsFile, "consumer", image, C, "accepted")).status).toBe(200);
    await stack.expectNoDrift(program);
    expect((await setMemberStatusRaw(cloud.cloudsFile, "consumer", image, C, "rejected")).status).toBe(200);
    await stack.expectNoDrift(program);
    await stack.eng.refresh();
    expect(stack.eng.resource("team").outputs.statuses[C]).toBe("rejected");
    expect(changes(await stack.up(program))).toEqual([]);
    await stack.expectNoDrift(program);
  }, 300_000);

  it("an update adding 2 members and removing 3 makes 2 POSTs and 3 DELETEs, and no list request", async () => {
    const removed = memberIds.slice(1, 4);
    const added = [newProjectId(), newProjectId()];
    memberIds = [...memberIds.filter((m) => !removed.includes(m)), ...added];
    const up = await counted(image, () => stack.up(program));
    expect(changes(up.result)).toEqual(["update:team"]);
    expect(up).toMatchObject({ list: 0, post: 2 });
    expect(deletedMembers(up.del)).toEqual(sorted(removed));
    expect(await membersInGlance(image)).toEqual(sorted(memberIds));
    await stack.expectNoDrift(program);
  }, 300_000);

  it("a member added by hand is no drift when not exclusive, and destroy leaves it: only the declared members go", async () => {
    const byHand = newProjectId();
    expect((await addMemberRaw(cloud.cloudsFile, "producer", image, byHand)).status).toBe(200);
    await stack.expectNoDrift(program);
    const destroy = await counted(image, () => stack.destroy());
    expect(destroy).toMatchObject({ list: 0, post: 0 });
    expect(deletedMembers(destroy.del)).toEqual(sorted(memberIds));
    expect(await membersInGlance(image)).toEqual([byHand]);
    expect(stack.eng.resource("team")).toBeUndefined();
  }, 300_000);
});

describe("an exclusive ImageShare", () => {
  let image: string;
  let stack: TestStack;
  const memberIds = [C, newProjectId(), newProjectId()];
  const program: Program<Pkg> = (pkg) => {
    new pkg.ImageShare("only", { imageId: image, memberIds, exclusive: true });
  };

  beforeAll(async () => {
    [image, stack] = await Promise.all([sharedImage("image-share-exclusive"), stackFor("image-share-exclusive")]);
  });

  it("a member added by hand is drift, named by preview --diff; up --refresh removes it and nothing else", async () => {
    expect(changes(await stack.up(program))).toEqual(["create:test-project-dev", "create:only"]);
    await stack.expectNoDrift(program);
    await setMemberStatusRaw(cloud.cloudsFile, "consumer", image, C, "accepted");
    await stack.expectNoDrift(program);

    const byHand = newProjectId();
    expect((await addMemberRaw(cloud.cloudsFile, "producer", image, byHand)).status).toBe(200);
    const drift = await stack.eng.preview(program, { refresh: true, expectNoChanges: true, diff: true, allowFailure: true });
    stack.results.push(drift);
    expect(drift.exitCode).toBe(7);
    expect(changes(drift)).toEqual(["update:only"]);
    expect(drift.stdout).toContain(byHand);
    const refresh = await stack.eng.refresh({ previewOnly: true, expectNoChanges: true, allowFailure: true });
    expect(refresh.exitCode).toBe(7);

    expect(changes(await stack.up(program))).toEqual([]);
    expect(await membersInGlance(image)).toContain(byHand);

    const repair = await counted(image, () => stack.up(program, { refresh: true }));
    expect(changes(repair.result)).toEqual(["update:only"]);
    expect(repair).toMatchObject({ list: 2, post: 0 }); // the refresh's list, and the update's own
    expect(deletedMembers(repair.del)).toEqual([byHand]);
    expect(await membersInGlance(image)).toEqual(sorted(memberIds));
    await stack.expectNoDrift(program);
  }, 300_000);

  it("an ImageMember of the same image in the same program fails it at registration, naming both; nothing changes", async () => {
    const before = await membersInGlance(image);
    const r = await stack.up(
      (pkg) => {
        program(pkg, {} as never);
        new pkg.ImageMember("one", { imageId: image, memberId: newProjectId() });
      },
      { allowFailure: true },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain(
      `ImageMember "one" and ImageShare "only" both declare members of image ${image}, and ImageShare "only" is exclusive ` +
        `(its memberIds are the image's only members): list the members in ImageShare "only"'s memberIds instead, or set exclusive: false on it`,
    );
    expect(stack.eng.resource("one")).toBeUndefined();
    expect(await membersInGlance(image)).toEqual(before);
  }, 300_000);

  it("destroy removes the declared members only", async () => {
    const byHand = newProjectId();
    expect((await addMemberRaw(cloud.cloudsFile, "producer", image, byHand)).status).toBe(200);
    const destroy = await counted(image, () => stack.destroy());
    expect(deletedMembers(destroy.del)).toEqual(sorted(memberIds));
    expect(await membersInGlance(image)).toEqual([byHand]);
  }, 300_000);
});

describe("an ImageShare whose create fails part way", () => {
  let image: string;
  let stack: TestStack;
  const memberIds = Array.from({ length: 10 }, newProjectId);
  const refused = memberIds[4]!;
  const program: Program<Pkg> = (pkg) => {
    new pkg.ImageShare("partial", { imageId: image, memberIds });
  };

  beforeAll(async () => {
    [image, stack] = await Promise.all([sharedImage("image-share-partial"), stackFor("image-share-partial")]);
  });
  afterAll(() => proxy.setRefusals([]));

  it("keeps the members it added in the state; the next up adds only the rest", async () => {
    // Glance refuses (403, never retried) every POST that adds one of the members
    proxy.setRefusals([
      {
        method: "POST",
        path: /\/members$/,
        bodyIncludes: refused,
        status: 403,
        message: "You are not authorized to complete add_member action.",
      },
    ]);
    const failed = await counted(image, () => stack.eng.up(program, { allowFailure: true }));
    stack.results.push(failed.result);
    expect(failed.result.exitCode).not.toBe(0);
    expect(failed).toMatchObject({ list: 1, post: 10 });
    const added = memberIds.filter((m) => m !== refused);
    expect(await membersInGlance(image)).toEqual(sorted(added));
    expect(resourceErrors(failed.result).join("\n")).toMatch(
      new RegExp(
        `ImageShare \\(partial\\): error: .*ImageShare ${image} created in part: 9 member\\(s\\) added and 0 removed of 10, 1 failed \\(${refused}: POST .* failed with 403`,
        "s",
      ),
    );
    // nothing is lost: the state holds what was added
    const state = stack.eng.resource("partial");
    expect(state.id).toBe(image);
    expect(sorted(state.outputs.memberIds)).toEqual(sorted(added));

    proxy.setRefusals([]);
    const next = await counted(image, () => stack.up(program));
    expect(changes(next.result)).toEqual(["update:partial"]);
    expect(next).toMatchObject({ list: 0, post: 1, del: [] });
    expect(await membersInGlance(image)).toEqual(sorted(memberIds));
    expect(stack.eng.resource("partial").outputs.memberIds).toEqual(memberIds);
    expect(stack.eng.resource("partial").initErrors).toBeUndefined();
    await stack.expectNoDrift(program);
  }, 300_000);

  it("destroy leaves none of the declared members", async () => {
    await stack.destroy();
    expect(await membersInGlance(image)).toEqual([]);
  }, 300_000);
});

describe("an ImageShare renamed without an alias", () => {
  let image: string;
  let stack: TestStack;
  const memberIds = Array.from({ length: 4 }, newProjectId);
  let name = "before";
  const program: Program<Pkg> = (pkg) => {
    new pkg.ImageShare(name, { imageId: image, memberIds });
  };

  beforeAll(async () => {
    [image, stack] = await Promise.all([sharedImage("image-share-rename"), stackFor("image-share-rename")]);
  });

  it("keeps every member: the new resource takes them over, and the old one's delete leaves them", async () => {
    await stack.up(program);
    name = "after";
    const moved = await counted(image, () => stack.up(program));
    expect(changes(moved.result).sort()).toEqual(["create:after", "delete:before"]);
    expect(moved).toMatchObject({ list: 1, post: 0, del: [] });
    expect(moved.result.output).toMatch(/warning: .*ImageShare: took over the membership of project/);
    expect(await membersInGlance(image)).toEqual(sorted(memberIds));
    await stack.expectNoDrift(program);
    await stack.destroy();
    expect(await membersInGlance(image)).toEqual([]);
  }, 300_000);
});

describe("what the stacks kept and printed", () => {
  it("holds no password, and no token the proxy carried", async () => {
    for (const stack of stacks) await expectNoSecrets(stack, cloud.secrets);
    const texts = stacks.flatMap((s) => s.results.flatMap((r) => [r.message ?? "", r.output]));
    expect(leaksIn(texts, [], [proxy])).toEqual([]);
  });
});
