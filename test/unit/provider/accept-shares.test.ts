import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { AcceptShares, checkAcceptSharesArgs, globToRegExp, selectShares } from "../../../provider/accept-shares";
import { acceptSharesProvider as a } from "../../../provider/accept-shares-lifecycle";
import { getSharedImages, getSharedImagesOutput } from "../../../provider/functions";
import { memberAcceptanceProvider as acceptance_ } from "../../../provider/member-acceptance-lifecycle";
import { forgetTokens } from "../../../sdk/image-service";
import type { SharedImage } from "../../../sdk/types";
import { test, withProgramCredentials } from "../support/fake-fixture";
import { type FakeOpenStack as Fake, PROJECT_ID } from "../support/fake-openstack";
import { test as lifecycleTest, newCommand } from "../support/provider-fixture";

const OWNER = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("nameMatch globs", () => {
  const matches = (glob: string, name: string) => globToRegExp(glob).test(name);

  it("* is any run of characters, ? exactly one; the whole name must match", () => {
    expect(matches("golden-*", "golden-2026.01")).toBe(true);
    expect(matches("golden-*", "golden-")).toBe(true);
    expect(matches("golden-*", "old-golden-1")).toBe(false);
    expect(matches("*-linux", "ubuntu-24.04-linux")).toBe(true);
    expect(matches("*-linux", "ubuntu-linux-x")).toBe(false);
    expect(matches("v?", "v1")).toBe(true);
    expect(matches("v?", "v10")).toBe(false);
    expect(matches("v?", "v")).toBe(false);
    expect(matches("*", "")).toBe(true);
    expect(matches("a*b*c", "a-x-b-y-c")).toBe(true);
    expect(matches("?", "é")).toBe(true); // one character, not one UTF-16 unit
    expect(matches("?", "😀")).toBe(true);
    expect(matches("line*", "line\nbreak")).toBe(true);
  });

  it("every other character is itself: no regular-expression or bracket syntax", () => {
    expect(matches("img.1", "img.1")).toBe(true);
    expect(matches("img.1", "imgx1")).toBe(false);
    expect(matches("[ab]", "[ab]")).toBe(true);
    expect(matches("[ab]", "a")).toBe(false);
    expect(matches("a+", "aa")).toBe(false);
    expect(matches("a+", "a+")).toBe(true);
    expect(matches("(x|y)", "x")).toBe(false);
    expect(matches("(x|y)", "(x|y)")).toBe(true);
    expect(matches("^a$", "^a$")).toBe(true);
    expect(matches("a{2}", "aa")).toBe(false);
    expect(matches("c:\\img", "c:\\img")).toBe(true);
    expect(matches("x/y-z", "x/y-z")).toBe(true);
    expect(matches("Golden", "golden")).toBe(false); // case matters, as in Glance
  });

  it("keeps the matching images, sorted by id; an image without a name has the empty name", () => {
    const image = (imageId: string, name?: string): SharedImage => ({
      imageId,
      ...(name === undefined ? {} : { name }),
      owner: OWNER,
      memberStatus: "pending",
      tags: [],
      createdAt: "",
    });
    const images = [image("c", "golden-2"), image("a", "golden-1"), image("b", "silver"), image("d")];
    expect(selectShares(images, "golden-*").map((i) => i.imageId)).toEqual(["a", "c"]);
    expect(selectShares(images, undefined).map((i) => i.imageId)).toEqual(["a", "b", "c", "d"]);
    expect(selectShares(images, "*").map((i) => i.imageId)).toEqual(["a", "b", "c", "d"]);
  });
});

describe("AcceptShares arguments", () => {
  it("every problem at once, each naming the property", () => {
    expect(checkAcceptSharesArgs({})).toEqual([
      "owners is required: give the project ids of the producers whose shares this project accepts",
    ]);
    expect(checkAcceptSharesArgs({ owners: [] })).toEqual([
      "owners must list at least one project id: the producers whose shares this project accepts",
    ]);
    expect(checkAcceptSharesArgs({ owners: OWNER })).toEqual([`owners must be a list of project ids, not "${OWNER}"`]);
    expect(
      checkAcceptSharesArgs({
        owners: [OWNER, "", "a/b", 7],
        status: "ACCEPTED",
        statusOnDelete: "deleted",
        nameMatch: "",
        tags: ["ok", " "],
        cloud: "",
        region: 3,
        ownerz: [],
      }),
    ).toEqual([
      "ownerz is not a property of AcceptShares (it has: owners, status, nameMatch, tags, statusOnDelete, cloud, region)",
      "owners[1] must not be empty (a project id)",
      'owners[2] "a/b" must not contain "/" (a project id)',
      "owners[3] must be a string, not number (a project id)",
      'status "ACCEPTED" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "accepted"?',
      'statusOnDelete "deleted" is not allowed: use "rejected" or "pending"',
      'nameMatch must be a non-empty glob (* and ?), not ""',
      'tags[1] must be a non-empty string, not " "',
      'cloud must be a non-empty string, not ""',
      "region must be a non-empty string, not 3",
    ]);
    expect(checkAcceptSharesArgs({ owners: [OWNER], Owners: [OWNER] })).toEqual([
      "Owners is not a property of AcceptShares; did you mean owners?",
    ]);
    expect(
      checkAcceptSharesArgs({
        owners: [OWNER],
        status: "rejected",
        statusOnDelete: "pending",
        nameMatch: "x*",
        tags: ["a"],
        cloud: "consumer",
        region: "RegionOne",
      }),
    ).toEqual([]);
  });

  it("values that are not known when the program runs are refused: the listing comes first", () => {
    expect(checkAcceptSharesArgs({ owners: pulumi.output([OWNER]) })).toEqual([
      "owners must be a list of project ids known when the program runs, not an Output or a Promise: the shares are listed before any resource is declared",
    ]);
    expect(checkAcceptSharesArgs({ owners: [OWNER], cloud: Promise.resolve("consumer") })).toEqual([
      "cloud must be a string known when the program runs, not an Output or a Promise: the shares are listed before any resource is declared",
    ]);
  });

  test("the constructor refuses bad arguments before any request", async ({ fake }) => {
    const before = fake.requests.length;
    expect(() => new AcceptShares("trusted", { owners: [""] })).toThrow(
      'AcceptShares "trusted": owners[0] must not be empty (a project id)',
    );
    expect(() => new AcceptShares("trusted", { owners: [OWNER], status: "yes" as never })).toThrow(
      /AcceptShares "trusted": status "yes" is not a member status/,
    );
    expect(() => new AcceptShares("trusted", undefined as never)).toThrow("arguments must be an object with owners");
    expect(fake.requests.length).toBe(before);
  });
});

describe("getSharedImages", () => {
  test("lists through the SDK with the program's credentials; the Output form takes inputs", async ({ fake }) => {
    forgetTokens();
    fake.imageListLimitMax = 2;
    fake.addSharedImage("s1", { owner: OWNER, status: "accepted", name: "one", tags: ["gold"] });
    fake.addSharedImage("s2", { owner: OWNER, status: "pending", name: "two" });
    fake.addSharedImage("s3", { owner: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", status: "rejected", name: "three" });
    await withProgramCredentials(fake, async () => {
      const all = await getSharedImages();
      expect(Object.fromEntries(all.map((i) => [i.imageId, i.memberStatus]))).toEqual({ s1: "accepted", s2: "pending", s3: "rejected" });
      expect((await getSharedImages({ owners: [OWNER], memberStatus: "pending" })).map((i) => i.imageId)).toEqual(["s2"]);
      const out = getSharedImagesOutput({ owners: pulumi.output([OWNER]), tags: ["gold"] });
      expect(await new Promise((resolve) => out.apply(resolve))).toMatchObject([
        { imageId: "s1", name: "one", tags: ["gold"], memberStatus: "accepted" },
      ]);
      await expect(getSharedImages({ memberStatus: "any" as never })).rejects.toMatchObject({ code: "ERR_VALIDATION" });
    });
  });
});

describe("AcceptShares lifecycle", () => {
  const TRUSTED = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const OTHER = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  const img = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, "0")}`;
  const put = /\/v2\/images\/[^/]+\/members\/[^/]+$/;
  const list = /\/v2\/images$/;
  /** `n` images of the trusted owner shared with the credential's project, all with `status`. */
  const shares = (fake: Fake, ids: string[], status: "pending" | "accepted" | "rejected" = "pending") => {
    for (const id of ids) fake.addSharedImage(id, { owner: TRUSTED, status, name: id });
  };
  const statusOf = (fake: Fake, id: string) => fake.members.get(id)?.find((m) => m.member_id === PROJECT_ID)?.status;
  const putsTo = (fake: Fake, since: number) =>
    fake.requests
      .slice(since)
      .filter((r) => r.method === "PUT" && put.test(r.path))
      .map((r) => r.path.split("/").at(-3)!)
      .sort();
  const inputs = (imageIds: string[], extra: object = {}) => ({ owners: [TRUSTED], imageIds, ...extra });

  describe("check", () => {
    lifecycleTest("fills in the defaults; lets unknown image ids through; names bad ids", async ({ fake }) => {
      expect((await a.check({} as never, inputs([img(1)]))).inputs).toEqual({
        owners: [TRUSTED],
        imageIds: [img(1)],
        status: "accepted",
        statusOnDelete: "rejected",
      });
      expect((await a.check({} as never, { owners: [TRUSTED], imageIds: UNKNOWN } as never)).failures).toBeUndefined();
      expect((await a.check({} as never, { owners: [TRUSTED], imageIds: [img(1), UNKNOWN] })).failures).toBeUndefined();
      const bad = await a.check(
        {} as never,
        { owners: [], imageIds: ["a/b"], status: "yes", statusOnDelete: "accepted", imageIDs: [] } as never,
      );
      expect(bad.failures!.map((f) => f.property)).toEqual(["imageIDs", "status", "statusOnDelete", "owners", "imageIds"]);
      expect(fake.requests).toEqual([]);
    });
  });

  describe("diff", () => {
    const olds = {
      owners: [TRUSTED],
      imageIds: [img(1), img(2)],
      statuses: { [img(1)]: "accepted", [img(2)]: "accepted" },
      status: "accepted",
      statusOnDelete: "rejected",
      region: "RegionOne",
    } as const;
    const changes = async (news: object, from: object = olds) =>
      await a.diff("id", from as never, { ...inputs([img(2), img(1)]), ...news } as never);

    lifecycleTest("the same shares in any order, with the defaults unset, are no change", async () => {
      expect(await changes({})).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
      expect((await changes({ region: "RegionOne" })).changes).toBe(false);
    });

    lifecycleTest("a new share, a share gone from the list, and a status changed by hand are changes in place", async () => {
      expect(await changes({ imageIds: [img(1), img(2), img(3)] })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      expect((await changes({ imageIds: [img(1)] })).changes).toBe(true);
      expect(await changes({}, { ...olds, statuses: { ...olds.statuses, [img(2)]: "rejected" } })).toMatchObject({
        changes: true,
        replaces: [],
      });
      // a status recorded as unanswered (what a partial failure leaves) is still to do
      expect((await changes({}, { ...olds, statuses: { [img(1)]: "accepted", [img(2)]: "pending" } })).changes).toBe(true);
    });

    lifecycleTest("an image list not known yet is a change", async () => {
      expect((await changes({ imageIds: UNKNOWN })).changes).toBe(true);
      expect((await changes({ imageIds: [img(1), UNKNOWN] })).changes).toBe(true);
    });

    lifecycleTest("status, statusOnDelete, owners, nameMatch, tags and cloud update in place; region replaces", async () => {
      for (const news of [
        { status: "rejected" },
        { statusOnDelete: "pending" },
        { owners: [TRUSTED, OTHER] },
        { nameMatch: "golden-*" },
        { tags: ["approved"] },
        { cloud: "consumer" },
      ]) {
        expect(await changes(news), JSON.stringify(news)).toMatchObject({ changes: true, replaces: [] });
      }
      expect((await changes({ tags: [] })).changes).toBe(false);
      expect(await changes({ region: "RegionTwo" })).toMatchObject({ changes: true, replaces: ["region"] });
    });
  });

  describe("create, read, update, delete", () => {
    lifecycleTest("create answers only the shares not answered so, and records every listed share", async ({ fake }) => {
      shares(fake, [img(1), img(2)]);
      shares(fake, [img(3)], "accepted");
      shares(fake, [img(4)], "rejected");
      const { id, outs } = await a.create(inputs([img(1), img(2), img(3), img(4)]));
      expect(id).toBe(`${PROJECT_ID}/${TRUSTED}`);
      expect(outs).toEqual({
        memberId: PROJECT_ID,
        owners: [TRUSTED],
        imageIds: [img(1), img(2), img(3), img(4)],
        statuses: Object.fromEntries([1, 2, 3, 4].map((n) => [img(n), "accepted"])),
        status: "accepted",
        statusOnDelete: "rejected",
        region: "RegionOne",
      });
      expect(putsTo(fake, 0)).toEqual([img(1), img(2), img(4)]);
      expect(statusOf(fake, img(4))).toBe("accepted");
    });

    lifecycleTest(
      "create of shares all answered already writes nothing (an upgrade from the component changes no status)",
      async ({ fake }) => {
        shares(fake, [img(1), img(2)], "accepted");
        const before = fake.requests.length;
        const { outs } = await a.create(inputs([img(1), img(2)]));
        expect(outs.statuses).toEqual({ [img(1)]: "accepted", [img(2)]: "accepted" });
        expect(putsTo(fake, before)).toEqual([]);
      },
    );

    lifecycleTest("create drops a listed share the owner removed before it ran, without an error", async ({ fake }) => {
      shares(fake, [img(1)]);
      const { outs } = await a.create(inputs([img(1), img(2)]));
      expect(outs.imageIds).toEqual([img(1)]);
      expect(putsTo(fake, 0)).toEqual([img(1)]);
    });

    lifecycleTest("create keeps what it did when a write fails: the state records it and the next up finishes", async ({ fake }) => {
      shares(fake, [img(1), img(2), img(3)]);
      fake.on("PUT", new RegExp(`/v2/images/${img(2)}/members/`), () => ({ status: 403, body: { message: "403 Forbidden: not yours" } }));
      const error = (await a.create(inputs([img(1), img(2), img(3)])).catch((e: unknown) => e)) as Error & {
        id: string;
        properties: Record<string, unknown>;
      };
      expect(error.message).toMatch(
        new RegExp(
          `^AcceptShares: 1 share\\(s\\) could not be answered \\(${img(2)}: .*403.*\\); the state records the others: run pulumi up again to finish$`,
        ),
      );
      expect(error.id).toBe(`${PROJECT_ID}/${TRUSTED}`);
      expect(error.properties).toMatchObject({
        imageIds: [img(1), img(2), img(3)],
        statuses: { [img(1)]: "accepted", [img(2)]: "pending", [img(3)]: "accepted" },
      });
      // the unanswered share is a change for the next up
      expect((await a.diff(error.id, error.properties as never, inputs([img(1), img(2), img(3)]))).changes).toBe(true);
    });

    lifecycleTest(
      "read pages the image list, never one request per image, and returns the stored outputs when nothing changed",
      async ({ fake }) => {
        const ids = Array.from({ length: 25 }, (_, i) => img(i + 1));
        shares(fake, ids);
        fake.addSharedImage(img(99), { owner: OTHER, status: "pending" });
        fake.imageListLimitMax = 10;
        const checked = (await a.check({} as never, inputs(ids))).inputs!;
        const { id, outs } = await a.create(checked);
        newCommand();
        const before = fake.requests.length;
        const r = await a.read(id, outs);
        expect(r).toEqual({ id, props: outs, inputs: checked });
        const glance = fake.requests.slice(before).filter((q) => q.path.includes("/v2/"));
        // 26 images in the `all` list: 3 pages; the pending list holds the other owner's one, rejected none
        expect(glance.map((q) => `${q.method} ${new URL(q.path, "http://x").pathname.replace(/^.*\/v2/, "/v2")}`)).toEqual(
          Array(5).fill("GET /v2/images"),
        );
        expect(glance.every((q) => list.test(q.path.split("?")[0]!))).toBe(true);
        expect(statusOf(fake, img(99))).toBe("pending");
      },
    );

    lifecycleTest("read reports a status changed by hand, which diff then calls drift", async ({ fake }) => {
      shares(fake, [img(1), img(2)]);
      const { id, outs } = await a.create(inputs([img(1), img(2)]));
      fake.members.get(img(2))![0]!.status = "rejected";
      newCommand();
      const r = await a.read(id, outs);
      expect(r.props!.statuses).toEqual({ [img(1)]: "accepted", [img(2)]: "rejected" });
      expect(r.props!.imageIds).toEqual([img(1), img(2)]);
      expect((await a.diff(id, r.props!, inputs([img(1), img(2)]))).changes).toBe(true);
    });

    lifecycleTest("read drops a share the owner removed, and an image the owner deleted, without an error", async ({ fake }) => {
      shares(fake, [img(1), img(2), img(3)]);
      const checked = (await a.check({} as never, inputs([img(1), img(2), img(3)]))).inputs!;
      const { id, outs } = await a.create(checked);
      fake.members.set(img(1), []);
      fake.images.delete(img(2));
      newCommand();
      const r = await a.read(id, outs);
      expect(r.id).toBe(id);
      expect(r.props).toMatchObject({ imageIds: [img(3)], statuses: { [img(3)]: "accepted" } });
      expect(r.inputs).toEqual({ ...checked, imageIds: [img(3)] });
      // the program no longer lists them either: no change
      expect((await a.diff(id, r.props!, inputs([img(3)]))).changes).toBe(false);
    });

    lifecycleTest(
      "update answers a new share, repairs a status changed by hand, and leaves a share no longer listed at statusOnDelete",
      async ({ fake }) => {
        shares(fake, [img(1), img(2), img(3)]);
        const { id, outs } = await a.create(inputs([img(1), img(2), img(3)]));
        shares(fake, [img(4)]);
        fake.members.get(img(2))![0]!.status = "rejected";
        newCommand();
        const refreshed = (await a.read(id, outs)).props!;
        const before = fake.requests.length;
        // img(3) left the list (say, its name no longer matches)
        const { outs: after } = await a.update(id, refreshed, inputs([img(1), img(2), img(4)], { statusOnDelete: "pending" }));
        expect(putsTo(fake, before)).toEqual([img(2), img(3), img(4)]);
        expect(after).toMatchObject({
          imageIds: [img(1), img(2), img(4)],
          statuses: { [img(1)]: "accepted", [img(2)]: "accepted", [img(4)]: "accepted" },
          statusOnDelete: "pending",
        });
        expect([1, 2, 3, 4].map((n) => statusOf(fake, img(n)))).toEqual(["accepted", "accepted", "pending", "accepted"]);
      },
    );

    lifecycleTest("update of status rewrites every share; a share removed meanwhile drops out without an error", async ({ fake }) => {
      shares(fake, [img(1), img(2)]);
      const { id, outs } = await a.create(inputs([img(1), img(2)]));
      fake.members.set(img(2), []);
      const { outs: after } = await a.update(id, outs, inputs([img(1), img(2)], { status: "rejected" }));
      expect(after).toMatchObject({ imageIds: [img(1)], statuses: { [img(1)]: "rejected" }, status: "rejected" });
      expect(statusOf(fake, img(1))).toBe("rejected");
    });

    lifecycleTest("update of statusOnDelete alone writes nothing", async ({ fake }) => {
      shares(fake, [img(1)]);
      const { id, outs } = await a.create(inputs([img(1)]));
      const before = fake.requests.length;
      expect((await a.update(id, outs, inputs([img(1)], { statusOnDelete: "pending" }))).outs.statusOnDelete).toBe("pending");
      expect(putsTo(fake, before)).toEqual([]);
    });

    lifecycleTest("delete leaves every share at statusOnDelete; a share removed meanwhile is success", async ({ fake }) => {
      shares(fake, [img(1), img(2), img(3)]);
      const { id, outs } = await a.create(inputs([img(1), img(2), img(3)], { statusOnDelete: "pending" }));
      fake.members.set(img(3), []);
      await a.delete(id, outs);
      expect([1, 2].map((n) => statusOf(fake, img(n)))).toEqual(["pending", "pending"]);
      await a.delete(id, { ...outs, statusOnDelete: "rejected" });
      expect([1, 2].map((n) => statusOf(fake, img(n)))).toEqual(["rejected", "rejected"]);
    });

    lifecycleTest(
      "a MemberAcceptance dropped in the same command leaves a share the AcceptShares answers; one it does not answer is left at statusOnDelete",
      async ({ fake }) => {
        shares(fake, [img(1), img(2)], "accepted");
        const acceptance = (n: number) => ({
          imageId: img(n),
          memberId: PROJECT_ID,
          status: "accepted" as const,
          statusOnDelete: "rejected" as const,
          region: "RegionOne",
          createdAt: "",
          updatedAt: "",
        });
        // the 0.x component's children, dropped by a program that now declares the AcceptShares (of img(1) only)
        await a.create(inputs([img(1)]));
        const before = fake.requests.length;
        await acceptance_.delete(`${img(1)}/${PROJECT_ID}`, acceptance(1));
        await acceptance_.delete(`${img(2)}/${PROJECT_ID}`, acceptance(2));
        expect(putsTo(fake, before)).toEqual([img(2)]);
        expect([statusOf(fake, img(1)), statusOf(fake, img(2))]).toEqual(["accepted", "rejected"]);
        // in a later command the claim is gone
        newCommand();
        await acceptance_.delete(`${img(1)}/${PROJECT_ID}`, acceptance(1));
        expect(statusOf(fake, img(1))).toBe("rejected");
      },
    );
  });
});
