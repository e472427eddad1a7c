import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, vi } from "vitest";
import { UNKNOWN } from "../../../provider/checks";
import { imageMemberProvider } from "../../../provider/image-member-lifecycle";
import { type ImageShareOutputs, imageShareProvider as p } from "../../../provider/image-share-lifecycle";
import { CONSUMER, IMAGE, PASSWORD } from "../support/fake-fixture";
import { type FakeMember, type FakeOpenStack, PROJECT_ID, type RecordedRequest } from "../support/fake-openstack";
import { newCommand, test } from "../support/provider-fixture";

const PROVIDER = "exports.handler = () => ({})";
const membersPath = /\/v2\/images\/[^/]+\/members$/;
const projects = (n: number) => Array.from({ length: n }, (_, i) => `project-${String(i).padStart(3, "0")}`);

/** Glance's requests (Keystone's left out), as `METHOD /v2/...`. */
const glanceRequests = (fake: FakeOpenStack, from = 0) =>
  fake.requests
    .slice(from)
    .filter((r) => r.path.startsWith("/image/"))
    .map((r) => `${r.method} ${r.path.replace(/^\/image\/[^/]+\/[^/]+/, "")}`);
const memberOf = (r: RecordedRequest) => (JSON.parse(r.body) as { member: string }).member;
const posted = (fake: FakeOpenStack) => fake.requests.filter((r) => r.method === "POST" && membersPath.test(r.path)).map(memberOf);
const deleted = (fake: FakeOpenStack) =>
  fake.requests
    .filter((r) => r.method === "DELETE" && /\/members\/[^/]+$/.test(r.path))
    .map((r) => decodeURIComponent(r.path.slice(r.path.lastIndexOf("/") + 1)));
const inGlance = (fake: FakeOpenStack, image = IMAGE) => (fake.members.get(image) ?? []).map((m) => m.member_id).sort();
/** A membership made behind the stack's back (by hand, by another tool). */
const addByHand = (fake: FakeOpenStack, memberId: string, status: FakeMember["status"] = "pending", image = IMAGE) =>
  fake.members
    .get(image)!
    .push({ image_id: image, member_id: memberId, status, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-02T00:00:00Z" });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ImageShare check", () => {
  test("lists a project twice as a failure naming it, before any request", async ({ fake }) => {
    const r = await p.check({} as never, { imageId: IMAGE, memberIds: ["a", "b", "a", "c", "b"] });
    expect(r.failures).toEqual([{ property: "memberIds", reason: "lists a, b more than once: list each project once" }]);
    expect(fake.requests).toEqual([]);
  });

  test("names each bad id by its position, and the other bad properties", async () => {
    const r = await p.check({} as never, { imageId: "x/y", memberIds: ["good", "", "a b", 7], exclusive: "yes", memberIDs: [] } as never);
    expect(r.failures).toEqual([
      { property: "memberIDs", reason: "is not a property of ImageShare; did you mean memberIds?" },
      { property: "imageId", reason: '"x/y" must not contain "/": give the id of an image your project owns, with visibility shared' },
      { property: "exclusive", reason: 'must be true or false, not "yes"' },
      { property: "memberIds", reason: "memberIds[1] must not be empty: give the ids of the projects to share the image with" },
      {
        property: "memberIds",
        reason: 'memberIds[2] "a b" must not contain whitespace: give the ids of the projects to share the image with',
      },
      { property: "memberIds", reason: "memberIds[3] must be a string, not number: give the ids of the projects to share the image with" },
    ]);
  });

  test("memberIds must be a list, and is required", async () => {
    for (const memberIds of ["a,b", { a: 1 }, undefined]) {
      const r = await p.check({} as never, { imageId: IMAGE, memberIds } as never);
      expect(r.failures).toHaveLength(1);
      expect(r.failures![0]).toMatchObject({
        property: "memberIds",
        reason: expect.stringMatching(/^must be a list of project ids \(an empty list shares with nobody\), not /),
      });
    }
    expect((await p.check({} as never, { imageId: IMAGE, memberIds: [] })).failures).toBeUndefined();
  });

  test("lets values unknown during preview through: the whole list, some of its elements, the image", async () => {
    for (const news of [
      { imageId: IMAGE, memberIds: UNKNOWN },
      { imageId: IMAGE, memberIds: ["a", UNKNOWN, UNKNOWN] }, // two unknown elements are not a duplicate
      { imageId: UNKNOWN, memberIds: ["a"], __provider: PROVIDER },
    ]) {
      const r = await p.check({} as never, news as never);
      expect(r.failures).toBeUndefined();
      expect(r.inputs).toEqual(news);
    }
  });
});

describe("ImageShare diff", () => {
  const olds: ImageShareOutputs = {
    imageId: IMAGE,
    memberIds: ["a", "b", "c"],
    statuses: { a: "pending", b: "accepted", c: "rejected" },
    region: "RegionOne",
  };
  const none = { changes: false, replaces: [], deleteBeforeReplace: false };

  test("compares the members as a set: another order is no change, nor are the statuses", async () => {
    expect(await p.diff(IMAGE, olds, { imageId: IMAGE, memberIds: ["c", "a", "b"] })).toEqual(none);
    expect(await p.diff(IMAGE, olds, { imageId: IMAGE, memberIds: ["a", "b", "c"], region: "RegionOne", adoptExisting: true })).toEqual(
      none,
    );
  });

  test("a member added or removed is an update in place", async () => {
    for (const memberIds of [["a", "b", "c", "d"], ["a", "c"], ["a", "b", "d"], [], ["a", "b", UNKNOWN]]) {
      expect(await p.diff(IMAGE, olds, { imageId: IMAGE, memberIds })).toEqual({ ...none, changes: true });
    }
    expect(await p.diff(IMAGE, olds, { imageId: IMAGE, memberIds: UNKNOWN as never })).toEqual({ ...none, changes: true });
  });

  test("another image or region replaces; another cloud, or exclusive turned on, updates in place", async () => {
    expect(await p.diff(IMAGE, olds, { imageId: "other", memberIds: ["a", "b", "c"] })).toEqual({
      ...none,
      changes: true,
      replaces: ["imageId"],
    });
    expect(await p.diff(IMAGE, olds, { imageId: IMAGE, memberIds: ["a", "b", "c"], region: "RegionTwo" })).toEqual({
      ...none,
      changes: true,
      replaces: ["region"],
    });
    expect(await p.diff(IMAGE, olds, { imageId: IMAGE, memberIds: ["a", "b", "c"], cloud: "admin" })).toEqual({ ...none, changes: true });
    expect(await p.diff(IMAGE, olds, { imageId: IMAGE, memberIds: ["a", "b", "c"], exclusive: true })).toEqual({ ...none, changes: true });
    expect(await p.diff(IMAGE, { ...olds, exclusive: true }, { imageId: IMAGE, memberIds: ["a", "b", "c"], exclusive: true })).toEqual(
      none,
    );
  });

  test("exclusive: members nobody declared (found by a refresh) are a change; not exclusive, they are not", async () => {
    const refreshed = { ...olds, exclusive: true, undeclaredMemberIds: ["by-hand"] };
    expect(await p.diff(IMAGE, refreshed, { imageId: IMAGE, memberIds: ["a", "b", "c"], exclusive: true })).toEqual({
      ...none,
      changes: true,
    });
    expect(await p.diff(IMAGE, { ...refreshed, exclusive: undefined }, { imageId: IMAGE, memberIds: ["a", "b", "c"] })).toEqual(none);
  });
});

describe("ImageShare create", () => {
  test("reads the member list once, then adds each member with one POST", async ({ fake }) => {
    fake.addImage(IMAGE);
    const memberIds = projects(20);
    const r = await p.create({ imageId: IMAGE, memberIds });
    expect(r.id).toBe(IMAGE);
    expect(r.outs).toEqual({
      imageId: IMAGE,
      memberIds,
      statuses: Object.fromEntries(memberIds.map((m) => [m, "pending"])),
      region: "RegionOne",
    });
    const requests = glanceRequests(fake);
    expect(requests[0]).toBe(`GET /v2/images/${IMAGE}/members`);
    expect(requests.slice(1)).toEqual(memberIds.map(() => `POST /v2/images/${IMAGE}/members`));
    expect(posted(fake).sort()).toEqual(memberIds);
    expect(inGlance(fake)).toEqual(memberIds);
  });

  test("an empty list makes the list request only", async ({ fake }) => {
    fake.addImage(IMAGE);
    const r = await p.create({ imageId: IMAGE, memberIds: [], exclusive: false });
    expect(r.outs).toEqual({ imageId: IMAGE, memberIds: [], statuses: {}, exclusive: false, region: "RegionOne" });
    expect(glanceRequests(fake)).toEqual([`GET /v2/images/${IMAGE}/members`]);
  });

  test("takes over the pending members it finds, with a warning naming each, and adds only the others", async ({ fake }) => {
    fake.addImage(IMAGE);
    addByHand(fake, "p-1");
    addByHand(fake, "p-3");
    addByHand(fake, "not-declared", "accepted");
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    const r = await p.create({ imageId: IMAGE, memberIds: ["p-1", "p-2", "p-3", "p-4"] });
    expect(posted(fake).sort()).toEqual(["p-2", "p-4"]);
    expect(r.outs.memberIds).toEqual(["p-1", "p-2", "p-3", "p-4"]);
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      expect.stringMatching(
        new RegExp(
          `^ImageShare: took over the membership of project p-1 in image ${IMAGE}, created 2026-01-01T00:00:00Z and never answered`,
        ),
      ),
      expect.stringMatching(/^ImageShare: took over the membership of project p-3 /),
    ]);
    // the undeclared member is none of its business
    expect(inGlance(fake)).toEqual(["not-declared", "p-1", "p-2", "p-3", "p-4"]);
  });

  test("adoptExisting: true takes over answered members too, without a warning", async ({ fake }) => {
    fake.addImage(IMAGE);
    addByHand(fake, "p-1", "accepted");
    addByHand(fake, "p-2", "rejected");
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    const r = await p.create({ imageId: IMAGE, memberIds: ["p-1", "p-2", "p-3"], adoptExisting: true });
    expect(r.outs.statuses).toEqual({ "p-1": "accepted", "p-2": "rejected", "p-3": "pending" });
    expect(posted(fake)).toEqual(["p-3"]);
    expect(warn).not.toHaveBeenCalled();
  });

  test("members their projects answered stop the create before any write, naming adoptExisting", async ({ fake }) => {
    fake.addImage(IMAGE);
    addByHand(fake, "p-1", "accepted");
    addByHand(fake, "p-2");
    const error = await p.create({ imageId: IMAGE, memberIds: ["p-1", "p-2", "p-3"] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_ALREADY_SHARED", status: 409 });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^ImageShare: image ${IMAGE} already has 1 of these members, which this stack's state does not hold: p-1 \\(accepted\\); nothing was changed — .*set adoptExisting: true`,
      ),
    );
    expect(glanceRequests(fake)).toEqual([`GET /v2/images/${IMAGE}/members`]);
    expect(inGlance(fake)).toEqual(["p-1", "p-2"]);
  });

  test("adoptExisting: false refuses any member that exists, pending ones too, before any write", async ({ fake }) => {
    fake.addImage(IMAGE);
    addByHand(fake, "p-2");
    await expect(p.create({ imageId: IMAGE, memberIds: ["p-1", "p-2"], adoptExisting: false })).rejects.toThrow(
      /already has 1 of these members, .*: p-2 \(pending\); nothing was changed — adoptExisting: false refuses every membership that exists/,
    );
    expect(posted(fake)).toEqual([]);
  });

  test("a member that appears between the list and its POST follows the same rule", async ({ fake }) => {
    fake.addImage(IMAGE);
    // someone adds p-2 (and its project answers) after the list was read, before the POST arrives
    fake.on("POST", membersPath, (req) => {
      if (memberOf(req) === "p-2") addByHand(fake, "p-2", "accepted");
      return "next";
    });
    const error = (await p
      .create({ imageId: IMAGE, memberIds: ["p-1", "p-2"], __provider: PROVIDER } as never)
      .catch((e: unknown) => e)) as Error & { properties: ImageShareOutputs };
    expect(error.message).toMatch(
      /in part: 1 member\(s\) added and 0 removed of 2, 1 failed \(p-2: ImageShare: image .* is already shared with project p-2 \(a membership this stack did not create, accepted since/,
    );
    expect(error.properties.memberIds).toEqual(["p-1"]);
  });

  test("the owner's own project in memberIds is refused before any request to Glance", async ({ fake }) => {
    fake.addImage(IMAGE);
    const error = await p.create({ imageId: IMAGE, memberIds: ["p-1", PROJECT_ID] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_VALIDATION" });
    expect((error as Error).message).toBe(
      `ImageShare: memberIds lists ${PROJECT_ID}, the project that owns the image (the credential's project) — remove it from memberIds: an owner sees its own image without being a member`,
    );
    expect(glanceRequests(fake)).toEqual([]);
  });
});

describe("ImageShare update", () => {
  test("adds and removes only the difference, one request each, without reading the list", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: projects(10) });
    const from = fake.requests.length;
    const wanted = [...projects(10).slice(3), "new-1", "new-2"];
    const r = await p.update(IMAGE, outs, { imageId: IMAGE, memberIds: wanted });
    const requests = glanceRequests(fake, from);
    expect(requests.filter((q) => q.startsWith("POST"))).toHaveLength(2);
    expect(requests.filter((q) => q.startsWith("DELETE"))).toHaveLength(3);
    expect(requests).toHaveLength(5);
    expect(posted(fake).slice(10).sort()).toEqual(["new-1", "new-2"]);
    expect(deleted(fake).sort()).toEqual(projects(3));
    expect(r.outs.memberIds).toEqual(wanted);
    expect(inGlance(fake)).toEqual([...wanted].sort());
  });

  test("keeps the statuses it knew for the members it keeps", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b"] });
    const r = await p.update(IMAGE, { ...outs, statuses: { a: "accepted", b: "pending" } }, { imageId: IMAGE, memberIds: ["b", "a", "c"] });
    expect(r.outs).toEqual({
      imageId: IMAGE,
      memberIds: ["b", "a", "c"],
      statuses: { b: "pending", a: "accepted", c: "pending" },
      region: "RegionOne",
    });
  });

  test("exclusive reads the list once and removes the members nobody declared; others are left alone when not exclusive", async ({
    fake,
  }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b"] });
    addByHand(fake, "by-hand", "accepted");
    let from = fake.requests.length;
    await p.update(IMAGE, outs, { imageId: IMAGE, memberIds: ["a", "b", "c"] });
    expect(glanceRequests(fake, from)).toEqual([`POST /v2/images/${IMAGE}/members`]);
    expect(inGlance(fake)).toEqual(["a", "b", "by-hand", "c"]);

    from = fake.requests.length;
    const r = await p.update(
      IMAGE,
      { ...outs, memberIds: ["a", "b", "c"] },
      { imageId: IMAGE, memberIds: ["a", "b", "c"], exclusive: true },
    );
    expect(glanceRequests(fake, from)).toEqual([`GET /v2/images/${IMAGE}/members`, `DELETE /v2/images/${IMAGE}/members/by-hand`]);
    expect(inGlance(fake)).toEqual(["a", "b", "c"]);
    expect(r.outs).toMatchObject({ memberIds: ["a", "b", "c"], exclusive: true });
    expect(r.outs).not.toHaveProperty("undeclaredMemberIds");
  });

  test("exclusive re-adds a declared member removed by hand, from the list it reads", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b"], exclusive: true });
    fake.members.set(
      IMAGE,
      fake.members.get(IMAGE)!.filter((m) => m.member_id !== "b"),
    );
    const from = fake.requests.length;
    // the state still holds b (no refresh): the list says it is gone
    await p.update(IMAGE, outs, { imageId: IMAGE, memberIds: ["a", "b", "c"], exclusive: true });
    expect(glanceRequests(fake, from).sort()).toEqual([
      `GET /v2/images/${IMAGE}/members`,
      `POST /v2/images/${IMAGE}/members`,
      `POST /v2/images/${IMAGE}/members`,
    ]);
    expect(inGlance(fake)).toEqual(["a", "b", "c"]);
  });

  test("the owner's own project is refused before any request to Glance", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a"] });
    const from = fake.requests.length;
    await expect(p.update(IMAGE, outs, { imageId: IMAGE, memberIds: ["a", PROJECT_ID], exclusive: true })).rejects.toMatchObject({
      code: "ERR_VALIDATION",
    });
    expect(glanceRequests(fake, from)).toEqual([]);
  });
});

describe("ImageShare read", () => {
  test("is one list request, and returns exactly the stored outputs and the program's inputs when nothing changed", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: projects(20) });
    newCommand();
    const from = fake.requests.length;
    const r = await p.read(IMAGE, outs);
    expect(glanceRequests(fake, from)).toEqual([`GET /v2/images/${IMAGE}/members`]);
    expect(r).toEqual({ id: IMAGE, props: outs, inputs: { imageId: IMAGE, memberIds: projects(20) } });
  });

  test("a consumer's answer shows in statuses only", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b"] });
    fake.members.get(IMAGE)![1]!.status = "rejected";
    const r = await p.read(IMAGE, outs);
    expect(r.props).toEqual({ ...outs, statuses: { a: "pending", b: "rejected" } });
    expect(r.inputs).toEqual({ imageId: IMAGE, memberIds: ["a", "b"] });
    expect((await p.diff(IMAGE, r.props!, { imageId: IMAGE, memberIds: ["a", "b"] })).changes).toBe(false);
  });

  test("leaves out a declared member that is gone, so the program's list differs", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b", "c"] });
    fake.members.set(
      IMAGE,
      fake.members.get(IMAGE)!.filter((m) => m.member_id !== "b"),
    );
    addByHand(fake, "by-hand"); // not exclusive: none of its business
    const r = await p.read(IMAGE, outs);
    expect(r.props).toEqual({ imageId: IMAGE, memberIds: ["a", "c"], statuses: { a: "pending", c: "pending" }, region: "RegionOne" });
    expect(r.inputs).toEqual({ imageId: IMAGE, memberIds: ["a", "c"] });
    expect((await p.diff(IMAGE, r.props!, { imageId: IMAGE, memberIds: ["a", "b", "c"] })).changes).toBe(true);
  });

  test("exclusive: names the members nobody declared, in the outputs and in the inputs", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b"], exclusive: true });
    addByHand(fake, "by-hand", "accepted");
    const r = await p.read(IMAGE, outs);
    expect(r.props).toEqual({ ...outs, undeclaredMemberIds: ["by-hand"] });
    expect(r.inputs).toEqual({ imageId: IMAGE, memberIds: ["a", "b", "by-hand"], exclusive: true });
    expect((await p.diff(IMAGE, r.props!, { imageId: IMAGE, memberIds: ["a", "b"], exclusive: true })).changes).toBe(true);
  });

  test("an image that is gone reads as gone", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a"] });
    fake.images.delete(IMAGE);
    fake.members.delete(IMAGE);
    expect(await p.read(IMAGE, outs)).toEqual({});
  });
});

describe("ImageShare delete", () => {
  test("removes the declared members only, one request each; a member or an image already gone is success", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b", "c"], exclusive: true });
    addByHand(fake, "by-hand");
    fake.members.set(
      IMAGE,
      fake.members.get(IMAGE)!.filter((m) => m.member_id !== "b"),
    );
    newCommand(); // pulumi destroy --refresh
    const refreshed = (await p.read(IMAGE, outs)).props!;
    expect(refreshed.undeclaredMemberIds).toEqual(["by-hand"]);
    const from = fake.requests.length;
    await p.delete(IMAGE, { ...refreshed, memberIds: ["a", "b", "c"] }); // b: already gone (404)
    expect(glanceRequests(fake, from).sort()).toEqual(["a", "b", "c"].map((m) => `DELETE /v2/images/${IMAGE}/members/${m}`));
    expect(inGlance(fake)).toEqual(["by-hand"]);
    fake.images.delete(IMAGE);
    fake.members.delete(IMAGE);
    await expect(p.delete(IMAGE, outs)).resolves.toBeUndefined();
  });
});

describe("ImageShare partial failures", () => {
  /** Glance refuses every POST that adds `memberId`, until the returned function is called. */
  const refuse = (fake: FakeOpenStack, memberId: string, status: number, message: string) => {
    let refusing = true;
    fake.on("POST", membersPath, (req) =>
      refusing && memberOf(req) === memberId ? { status, body: { message, code: `${status}`, title: "Error" } } : "next",
    );
    return () => {
      refusing = false;
    };
  };

  test("a create with a member Glance refuses keeps the others: the error carries id, the outputs with __provider, and reasons", async ({
    fake,
  }) => {
    fake.addImage(IMAGE);
    const stopRefusing = refuse(fake, "p-05", 403, "You are not authorized to complete add_member action.");
    const memberIds = Array.from({ length: 10 }, (_, i) => `p-0${i}`);
    const error = (await p.create({ imageId: IMAGE, memberIds, __provider: PROVIDER } as never).catch((e: unknown) => e)) as Error & {
      id: string;
      properties: Record<string, unknown>;
      reasons: string[];
    };
    const added = memberIds.filter((m) => m !== "p-05");
    expect(error.id).toBe(IMAGE);
    expect(error.properties).toEqual({
      imageId: IMAGE,
      memberIds: added,
      statuses: Object.fromEntries(added.map((m) => [m, "pending"])),
      region: "RegionOne",
      __provider: PROVIDER,
    });
    expect(error.message).toMatch(
      new RegExp(
        `^ImageShare ${IMAGE} created in part: 9 member\\(s\\) added and 0 removed of 10, 1 failed \\(p-05: POST .* failed with 403.*\\); the state records what was done: run pulumi up again to finish$`,
      ),
    );
    expect(error.reasons).toEqual([error.message]);
    expect(inGlance(fake)).toEqual(added);
    // every other member was tried
    expect(posted(fake).sort()).toEqual(memberIds);

    // the next up (the refusal gone) updates from what the state holds: one POST, for the member left
    stopRefusing();
    const from = fake.requests.length;
    const { outs } = await p.update(IMAGE, error.properties as never, { imageId: IMAGE, memberIds });
    expect(glanceRequests(fake, from)).toEqual([`POST /v2/images/${IMAGE}/members`]);
    expect(posted(fake).at(-1)).toBe("p-05");
    expect(outs.memberIds).toEqual(memberIds);
  });

  test("an update that fails in part keeps what it did, removals included", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a", "b", "c"] });
    refuse(fake, "e", 403, "Forbidden");
    const error = (await p
      .update(IMAGE, outs, { imageId: IMAGE, memberIds: ["b", "c", "d", "e"], __provider: PROVIDER } as never)
      .catch((e: unknown) => e)) as Error & { id: string; properties: Record<string, unknown> };
    expect(error.id).toBe(IMAGE);
    expect(error.message).toMatch(
      new RegExp(`^ImageShare ${IMAGE} updated in part: 1 member\\(s\\) added and 1 removed of 3, 1 failed \\(e: `),
    );
    expect(error.properties).toMatchObject({ memberIds: ["b", "c", "d"], __provider: PROVIDER });
  });

  test("the member quota stops further adds, and the message names image_member_quota", async ({ fake }) => {
    fake.addImage(IMAGE);
    const quota = 12;
    fake.on("POST", membersPath, () =>
      fake.members.get(IMAGE)!.length >= quota
        ? {
            status: 413,
            body: {
              message: `The limit has been exceeded on the number of allowed image members for this image. Attempted: ${quota + 1}, Maximum: ${quota}`,
            },
          }
        : "next",
    );
    const memberIds = projects(60);
    const error = (await p.create({ imageId: IMAGE, memberIds }).catch((e: unknown) => e)) as Error & { properties: ImageShareOutputs };
    expect(fake.members.get(IMAGE)).toHaveLength(quota);
    expect(error.properties.memberIds).toHaveLength(quota);
    // the adds in flight when the first 413 came may meet it too; none starts after it
    const posts = posted(fake).length;
    expect(posts).toBeGreaterThan(quota);
    expect(posts).toBeLessThanOrEqual(quota + 8);
    expect(error.message).toMatch(/image_member_quota/);
    expect(error.message).toMatch(new RegExp(`created in part: ${quota} member\\(s\\) added and 0 removed of 60, ${posts - quota} failed`));
  });
});

describe("ImageShare progress", () => {
  test("a set of 50 or more writes prints its progress every tenth of the way; a smaller one prints nothing", async ({ fake }) => {
    fake.addImage(IMAGE);
    const info = vi.spyOn(pulumi.log, "info").mockResolvedValue();
    await p.create({ imageId: IMAGE, memberIds: projects(49) });
    expect(info).not.toHaveBeenCalled();
    fake.addImage("big");
    await p.create({ imageId: "big", memberIds: projects(50) });
    expect(info.mock.calls.map((c) => c[0])).toEqual(
      [5, 10, 15, 20, 25, 30, 35, 40, 45, 50].map((n) => `ImageShare big: ${n} of 50 member writes done`),
    );
  });
});

describe("ImageShare and ImageMember in one command", () => {
  test("an ImageMember dropped by the program leaves the membership an ImageShare took over", async ({ fake }) => {
    fake.addImage(IMAGE);
    const member = await imageMemberProvider.create({ imageId: IMAGE, memberId: CONSUMER });
    newCommand();
    await p.create({ imageId: IMAGE, memberIds: [CONSUMER, "other"], adoptExisting: true });
    await imageMemberProvider.delete(member.id, member.outs);
    expect(inGlance(fake)).toEqual([CONSUMER, "other"].sort());
  });
});

describe("ImageShare placement", () => {
  test("an update that leaves cloud unset keeps acting, and recording, where create did", async ({ fake }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "share-cloud-"));
    const file = path.join(dir, "clouds.yaml");
    fs.writeFileSync(
      file,
      `clouds:\n  elsewhere:\n    auth:\n      auth_url: ${fake.authUrl}\n      username: u\n      password: ${PASSWORD}\n      user_domain_id: default\n      project_id: p\n`,
    );
    vi.stubEnv("OS_CLIENT_CONFIG_FILE", file);
    try {
      fake.addImage(IMAGE);
      const { outs } = await p.create({ imageId: IMAGE, memberIds: ["a"], cloud: "elsewhere" });
      expect(outs.cloud).toBe("elsewhere");
      // the program drops `cloud` (no change by itself: an unset input equals what create resolved) and adds a member
      expect((await p.diff(IMAGE, outs, { imageId: IMAGE, memberIds: ["a"] })).changes).toBe(false);
      const r = await p.update(IMAGE, outs, { imageId: IMAGE, memberIds: ["a", "b"] });
      // read and delete must keep opening the service create used
      expect(r.outs).toMatchObject({ cloud: "elsewhere", region: "RegionOne" });
    } finally {
      vi.unstubAllEnvs();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ImageShare and other resources of the same program", () => {
  test("an ImageShare renamed without an alias: the new one takes the members over, and the old one's delete leaves them", async ({
    fake,
  }) => {
    fake.addImage(IMAGE);
    const old = await p.create({ imageId: IMAGE, memberIds: ["a", "b"] });
    newCommand();
    vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    // the engine creates the new resource first, and deletes the dropped one after the program's steps
    await p.create({ imageId: IMAGE, memberIds: ["a", "b", "c"] });
    await p.delete(old.id, old.outs);
    expect(inGlance(fake)).toEqual(["a", "b", "c"]);
  });

  test("an ImageShare replaced into another region still removes its members from the old region", async ({ fake }) => {
    fake.regions.push({ id: "RegionTwo", interfaces: ["public"] });
    fake.addImage(IMAGE); // (the fake serves one image store to both regions)
    const old = await p.create({ imageId: IMAGE, memberIds: ["a", "b"], region: "RegionOne" });
    newCommand();
    vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    expect(await p.diff(IMAGE, old.outs, { imageId: IMAGE, memberIds: ["a", "b"], region: "RegionTwo" })).toMatchObject({
      changes: true,
      replaces: ["region"],
    });
    await p.create({ imageId: IMAGE, memberIds: ["a", "b"], region: "RegionTwo" });
    const from = fake.requests.length;
    await p.delete(old.id, old.outs);
    expect(
      fake.requests
        .slice(from)
        .filter((r) => r.method === "DELETE")
        .map((r) => r.path)
        .sort(),
    ).toEqual(["a", "b"].map((m) => `/image/RegionOne/public/v2/images/${IMAGE}/members/${m}`));
  });
});
