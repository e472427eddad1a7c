import { describe, expect } from "vitest";
import type { MemberStatus, SharedImage } from "../../../sdk";
import { PAGE_LIMIT } from "../../../sdk/shared-images";
import { test } from "../support/fake-fixture";
import type { FakeOpenStack } from "../support/fake-openstack";

/**
 * listSharedImages against the loopback fake, whose `GET /v2/images` pages as Glance 25 does: what
 * each list asks for, how many requests a listing costs (pages, never images), and the paging
 * corner cases a real Glance cannot be made to show on demand.
 */
const OWNER_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const OWNER_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const STATUSES: MemberStatus[] = ["accepted", "pending", "rejected"];

const listRequests = (fake: FakeOpenStack) =>
  fake.requests.filter((r) => r.method === "GET" && /\/v2\/images(\?|$)/.test(r.path)).map((r) => new URL(r.path, "http://x").searchParams);
const pagesOf = (fake: FakeOpenStack, status: string) => listRequests(fake).filter((q) => q.get("member_status") === status).length;

/** `n` images shared with the credential's project, alternating owners A and B and the three statuses. */
function share(
  fake: FakeOpenStack,
  n: number,
  extra: (i: number) => { tags?: string[]; name?: string } = () => ({}),
): Map<string, { owner: string; status: MemberStatus }> {
  const made = new Map<string, { owner: string; status: MemberStatus }>();
  for (let i = 0; i < n; i++) {
    const id = `shared-${String(i).padStart(3, "0")}`;
    const owner = i % 2 ? OWNER_B : OWNER_A;
    const status = STATUSES[i % 3]!;
    fake.addSharedImage(id, { owner, status, name: `image-${i}`, ...extra(i) });
    made.set(id, { owner, status });
  }
  return made;
}

const byId = (images: SharedImage[]) => Object.fromEntries(images.map((i) => [i.imageId, { owner: i.owner, status: i.memberStatus }]));

describe("listSharedImages", () => {
  test("every page of the three lists: each shared image once, with this project's status; never the project's own images nor public ones", async ({
    fake,
    open,
  }) => {
    fake.imageListLimitMax = 7;
    const made = share(fake, 30);
    fake.addImage("own-shared", "shared"); // owned by the credential's project: Glance lists it in every list
    fake.addImage("public-one", "public", OWNER_A);
    fake.addImage("not-a-member", "shared", OWNER_A);
    const glance = await open();
    const before = fake.requests.length;

    const images = await glance.listSharedImages();
    expect(byId(images)).toEqual(Object.fromEntries(made));
    expect(images).toHaveLength(30);
    const first = images.find((i) => i.imageId === "shared-000")!;
    expect(first).toEqual({
      imageId: "shared-000",
      name: "image-0",
      owner: OWNER_A,
      memberStatus: "accepted",
      tags: [],
      createdAt: fake.images.get("shared-000")!.created_at,
    });

    // the set from member_status=all (32 with the project's own two: 5 pages of 7), which of them are
    // pending or rejected from their own lists (12 each with the own two: 2 pages); the limit asked for
    // is capped by the server
    expect(fake.requests.length - before).toBe(5 + 2 + 2);
    expect(pagesOf(fake, "all")).toBe(5);
    expect(pagesOf(fake, "pending")).toBe(2);
    expect(pagesOf(fake, "rejected")).toBe(2);
    expect(pagesOf(fake, "accepted")).toBe(0);
    for (const q of listRequests(fake)) {
      expect(q.get("visibility")).toBe("shared");
      expect(q.get("limit")).toBe(String(PAGE_LIMIT));
    }
  });

  test("one status asked for is one paged list", async ({ fake, open }) => {
    fake.imageListLimitMax = 4;
    const made = share(fake, 24);
    const glance = await open();
    const pending = await glance.listSharedImages({ memberStatus: "pending" });
    expect(pending.map((i) => i.imageId).sort()).toEqual(
      [...made]
        .filter(([, v]) => v.status === "pending")
        .map(([id]) => id)
        .sort(),
    );
    expect(pending.every((i) => i.memberStatus === "pending")).toBe(true);
    // 8 pending images and the project's own (Glance lists it whatever the status): pages of 4, 4 and 1
    expect(listRequests(fake).map((q) => q.get("member_status"))).toEqual(["pending", "pending", "pending"]);
  });

  test("one owner is filtered by Glance; several are filtered here, from the same lists", async ({ fake, open }) => {
    fake.imageListLimitMax = 5;
    const made = share(fake, 12);
    fake.addSharedImage("from-c", { owner: "cccccccccccccccccccccccccccccccc", status: "accepted" });
    const glance = await open();

    const fromA = await glance.listSharedImages({ owners: [OWNER_A] });
    expect(Object.keys(byId(fromA)).sort()).toEqual(
      [...made]
        .filter(([, v]) => v.owner === OWNER_A)
        .map(([id]) => id)
        .sort(),
    );
    expect(listRequests(fake).every((q) => q.get("owner") === OWNER_A)).toBe(true);
    // 6 images of A: all = 2 pages, pending and rejected (2 each) 1 page
    expect(listRequests(fake)).toHaveLength(4);

    fake.requests.length = 0;
    const fromAB = await glance.listSharedImages({ owners: [OWNER_A, OWNER_B] });
    expect(Object.keys(byId(fromAB)).sort()).toEqual([...made.keys()].sort());
    expect(listRequests(fake).some((q) => q.has("owner"))).toBe(false);
  });

  test("tags are a conjunction asked of Glance, kept on every page although Glance's next link keeps only one of them", async ({
    fake,
    open,
  }) => {
    fake.imageListLimitMax = 3;
    share(fake, 20, (i) => ({ tags: i % 4 === 0 ? ["gold", "linux"] : i % 4 === 1 ? ["gold"] : ["linux"] }));
    const glance = await open();
    const images = await glance.listSharedImages({ tags: ["linux", "gold"], memberStatus: "all" });
    expect(images.map((i) => i.imageId).sort()).toEqual(["shared-000", "shared-004", "shared-008", "shared-012", "shared-016"]);
    expect(images.every((i) => i.tags.join() === "gold,linux")).toBe(true);
    const asked = listRequests(fake);
    expect(asked.some((q) => q.has("marker"))).toBe(true);
    for (const q of asked) expect(q.getAll("tag").sort()).toEqual(["gold", "linux"]);
  });

  test("no shares at all: an empty list, one request per list", async ({ fake, open }) => {
    fake.addImage("own-shared", "shared");
    const glance = await open();
    expect(await glance.listSharedImages()).toEqual([]);
    expect(listRequests(fake)).toHaveLength(3);
  });

  test("a marker whose image is deleted between two pages starts that list again", async ({ fake, open }) => {
    fake.imageListLimitMax = 4;
    const made = share(fake, 10);
    const glance = await open();
    // the second page of the `all` list is asked for after the first page's last image was deleted
    let deleted: string | undefined;
    fake.beforeImageList = (q) => {
      if (deleted === undefined && q.get("member_status") === "all" && q.has("marker")) {
        deleted = q.get("marker")!;
        fake.images.delete(deleted);
        made.delete(deleted);
      }
    };
    const images = await glance.listSharedImages({ memberStatus: "all" });
    expect(deleted).toBeDefined();
    expect(Object.keys(byId(images)).sort()).toEqual([...made.keys()].sort());
    // 9 images left, pages of 4: the refused page, then the list again from the start (3 pages)
    const all = listRequests(fake).filter((q) => q.get("member_status") === "all");
    expect(all.map((q) => q.has("marker"))).toEqual([false, true, false, true, true]);
  });

  test("a server whose next link repeats itself is an error, not an endless loop", async ({ fake, open }) => {
    fake.on("GET", /\/v2\/images$/, () => ({ status: 200, body: { images: [{ id: "x", owner: OWNER_A }], next: "/v2/images?marker=x" } }));
    const glance = await open();
    await expect(glance.listSharedImages({ memberStatus: "pending" })).rejects.toMatchObject({
      code: "ERR_HTTP",
      message: expect.stringContaining("image list does not end (marker x came back after 2 pages)"),
    });
  });

  test("an admin credential, to which Glance lists every shared image whatever member_status says, is refused rather than guessed", async ({
    fake,
    open,
  }) => {
    fake.addSharedImage("someone-elses", { owner: OWNER_A, status: "pending" });
    fake.members.get("someone-elses")!.length = 0; // not a member at all: as Glance answers an admin
    fake.on("GET", /\/v2\/images$/, () => ({ status: 200, body: { images: [{ id: "someone-elses", owner: OWNER_A, tags: [] }] } }));
    const glance = await open();
    await expect(glance.listSharedImages()).rejects.toMatchObject({
      code: "ERR_HTTP",
      hint: expect.stringContaining("Glance ignores member_status for credentials with the admin role"),
    });
  });

  test("a refused list says which role is missing", async ({ fake, open }) => {
    fake.on("GET", /\/v2\/images$/, () => ({
      status: 403,
      body: { message: "You are not authorized to complete get_images action.<br /><br />" },
    }));
    const glance = await open();
    await expect(glance.listSharedImages()).rejects.toMatchObject({
      code: "ERR_FORBIDDEN",
      status: 403,
      hint: expect.stringContaining("may not list images: it needs a role such as reader or member"),
    });
  });

  test("bad filters are refused before any request, each problem named", async ({ fake, open }) => {
    const glance = await open();
    const before = fake.requests.length;
    await expect(glance.listSharedImages({ owners: ["", "a/b"], memberStatus: "ALL" as "all", tags: [""] })).rejects.toMatchObject({
      code: "ERR_VALIDATION",
      message:
        'listSharedImages: owners[0] must not be empty; owners[1] "a/b" must not contain "/"; memberStatus "ALL" is not allowed: use "all", "accepted", "pending", "rejected"; did you mean "all"?; tags[0] must be a non-empty string, not ""',
    });
    await expect(glance.listSharedImages({ owners: [] })).rejects.toThrow(
      "owners must list at least one project id (leave it out for every owner)",
    );
    await expect(glance.listSharedImages({ owner: OWNER_A } as never)).rejects.toThrow(
      "owner is not a filter of listSharedImages (it has: owners, memberStatus, tags)",
    );
    expect(fake.requests.length).toBe(before);
  });
});
