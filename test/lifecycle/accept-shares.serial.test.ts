import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudsFileVia, type FaultProxy, removeCloudsCopies, startFaultProxy } from "../../dev/harness/fault-proxy";
import { addMemberRaw, deleteImage, deleteMemberRaw, glanceRaw, listMembersRaw, setMemberStatusRaw } from "../../dev/harness/images";
import { type OpenStack, startOpenStack } from "../../dev/harness/openstack";
import type { Program } from "../../dev/harness/pulumi";
import { openImageService } from "../../sdk/image-service";
import { requireLocalInstance } from "../support/cloud";
import { createTestImage, deleteTestImages } from "../support/images";
import { expectNoLeaks } from "../support/leaks";
import { changes, newStack, type Pkg, type TestStack } from "./support";

/**
 * Consumers discover their shares (`listSharedImages`, `AcceptShares`) against a real Glance whose
 * image list pages are small (`api_limit_max` 7, `limit_param_default` 5), through the real Pulumi
 * CLI: the producer and the outsider share 30 images with the consumer; the consumer owns a shared
 * image of its own. Counting proxies stand in front of Keystone and Glance.
 *
 * The inline programs run in this test process (the harness serves them to the CLI), so the listing
 * that AcceptShares makes when the program runs reads this process's OS_CLIENT_CONFIG_FILE: it is
 * pointed at the proxied clouds.yaml for the whole file (a file runs in its own process).
 */
const PAGE = 7;
const LIMIT_DEFAULT = 5;
const SLOW = 300_000;
const RESOURCE = "pulumi-nodejs:dynamic/glance:AcceptShares";

let os: OpenStack;
let keystone: FaultProxy;
let glance: FaultProxy;
let clouds: string;
let savedClientConfig: string | undefined;
const stacks: TestStack[] = [];

let P: string;
let C: string;
let O: string;
/** image id -> name, by owner */
const producerImages = new Map<string, string>();
const outsiderImages = new Map<string, string>();
let consumerOwn: string;
const NOBODY = "00000000000000000000000000000000";

/** Pages of a list of n images: full pages, then the one that is not full (an empty one when n is a multiple). */
const pages = (n: number) => Math.floor(n / PAGE) + 1;

interface Counts {
  token: number;
  /** GET /v2/images by member_status */
  lists: Record<string, number>;
  put: number;
  /** any other Glance request (member lists of refreshes, ...) */
  other: string[];
}

/** What the proxies saw since the last call; starts counting afresh. */
function take(): Counts {
  const counts: Counts = {
    token: keystone.log().filter((e) => e.method === "POST" && e.path.endsWith("/auth/tokens")).length,
    lists: {},
    put: 0,
    other: [],
  };
  for (const e of glance.log()) {
    if (e.method === "GET" && e.path === "/v2/images") {
      const status = new URLSearchParams(e.query ?? "").get("member_status") ?? "(none)";
      counts.lists[status] = (counts.lists[status] ?? 0) + 1;
    } else if (e.method === "PUT") counts.put++;
    else counts.other.push(`${e.method} ${e.path}`);
  }
  keystone.reset();
  glance.reset();
  return counts;
}

const glanceLog = () => glance.log();
const putImages = (log: ReturnType<typeof glanceLog>) => log.filter((e) => e.method === "PUT").map((e) => e.path.split("/")[3]!);

/** This project's status in each image, and when it last changed. */
async function memberships(
  entry: "producer" | "outsider",
  ids: Iterable<string>,
): Promise<Record<string, { status?: string; updated?: string }>> {
  const out: Record<string, { status?: string; updated?: string }> = {};
  for (const id of ids) {
    const r = await listMembersRaw(os.cloudsFile, entry, id);
    const m = (r.body?.members ?? []).find((x: { member_id: string }) => x.member_id === C);
    out[id] = { status: m?.status, updated: m?.updated_at };
  }
  return out;
}
const statuses = async (entry: "producer" | "outsider", ids: Iterable<string>) =>
  Object.fromEntries(Object.entries(await memberships(entry, ids)).map(([id, m]) => [id, m.status]));
const every = (ids: Iterable<string>, status: string | undefined) => Object.fromEntries([...ids].map((id) => [id, status]));

async function stack(label: string): Promise<TestStack> {
  const s = await newStack(label, {}, { OS_CLIENT_CONFIG_FILE: clouds });
  stacks.push(s);
  return s;
}

beforeAll(async () => {
  requireLocalInstance("the AcceptShares paging tests (they need Glance with small image-list pages)");
  const t0 = Date.now();
  os = await startOpenStack({ apiLimitMax: PAGE, limitParamDefault: LIMIT_DEFAULT });
  console.log(
    `[accept-shares] own instance ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (api_limit_max ${PAGE}, limit_param_default ${LIMIT_DEFAULT})`,
  );
  ({ producer: P, consumer: C, outsider: O } = os.projects);
  [keystone, glance] = await Promise.all([startFaultProxy(`http://127.0.0.1:${os.keystonePort}`), startFaultProxy(os.imageUrl)]);
  clouds = cloudsFileVia(os.cloudsFile, { keystone: keystone.url, glance: glance.url });
  savedClientConfig = process.env.OS_CLIENT_CONFIG_FILE;
  process.env.OS_CLIENT_CONFIG_FILE = clouds;

  // producer: 18 images. golden-0..3 tagged approved+linux, golden-4 linux only, golden-10 approved
  // (not matched by golden-?), the rest base-N, every third approved
  const producerNames = [
    ...[0, 1, 2, 3].map((i) => ({ name: `golden-${i}`, tags: ["approved", "linux"] })),
    { name: "golden-4", tags: ["linux"] },
    { name: "golden-10", tags: ["approved"] },
    ...Array.from({ length: 12 }, (_, i) => ({ name: `base-${i}`, tags: i % 3 === 0 ? ["approved"] : [] })),
  ];
  // outsider: 12 images, named and tagged like the producer's best ones: only the owner tells them apart
  const outsiderNames = Array.from({ length: 12 }, (_, i) => ({ name: `golden-${i % 4}`, tags: ["approved", "linux"] }));
  for (const [entry, names, into] of [
    ["producer", producerNames, producerImages],
    ["outsider", outsiderNames, outsiderImages],
  ] as const) {
    for (const { name, tags } of names) {
      const id = await createTestImage(os.cloudsFile, entry, { visibility: "shared", name, tags });
      expect((await addMemberRaw(os.cloudsFile, entry, id, C)).status).toBe(200);
      into.set(id, name);
    }
  }
  // the consumer's own shared image, named and tagged like the others, shared with someone else
  consumerOwn = await createTestImage(os.cloudsFile, "consumer", { visibility: "shared", name: "golden-0", tags: ["approved", "linux"] });
  expect((await addMemberRaw(os.cloudsFile, "consumer", consumerOwn, NOBODY)).status).toBe(200);
  take();
}, SLOW);

afterAll(async () => {
  if (savedClientConfig === undefined) delete process.env.OS_CLIENT_CONFIG_FILE;
  else process.env.OS_CLIENT_CONFIG_FILE = savedClientConfig;
  for (const s of stacks) await s.remove().catch(() => undefined);
  await Promise.all([keystone?.close(), glance?.close()]);
  removeCloudsCopies();
  // before the instance they live in goes
  await deleteTestImages();
  await os?.stop();
}, SLOW);

describe("listSharedImages against Glance with pages of 7", () => {
  it("Glance pages as configured: 5 images without a limit, 7 whatever limit is asked; its next link keeps one of two tags", async () => {
    const unlimited = await glanceRaw(os.cloudsFile, "consumer", "GET", "/v2/images?visibility=shared&member_status=all");
    expect(unlimited.body.images).toHaveLength(LIMIT_DEFAULT);
    const capped = await glanceRaw(os.cloudsFile, "consumer", "GET", "/v2/images?visibility=shared&member_status=all&limit=1000");
    expect(capped.body.images).toHaveLength(PAGE);
    expect(capped.body.next).toMatch(/[?&]marker=/);
    const twoTags = await glanceRaw(
      os.cloudsFile,
      "consumer",
      "GET",
      "/v2/images?visibility=shared&member_status=all&limit=2&tag=approved&tag=linux",
    );
    expect(twoTags.body.images).toHaveLength(2);
    expect(new URLSearchParams(twoTags.body.next.split("?")[1]).getAll("tag")).toHaveLength(1);
  });

  it(
    "every shared image once with the consumer's status, never its own; requests: pages of the three lists",
    async () => {
      const consumer = await openImageService({ cloud: "consumer" }, { env: { ...process.env, OS_CLIENT_CONFIG_FILE: clouds } });
      await setMemberStatusRaw(os.cloudsFile, "consumer", [...producerImages.keys()][5]!, C, "rejected");
      await setMemberStatusRaw(os.cloudsFile, "consumer", [...outsiderImages.keys()][0]!, C, "accepted");
      take();

      const all = await consumer.listSharedImages();
      const counts = take();
      expect(all).toHaveLength(30);
      expect(new Set(all.map((i) => i.imageId)).size).toBe(30);
      expect(all.map((i) => i.imageId)).not.toContain(consumerOwn);
      const expected = { ...every(producerImages.keys(), "pending"), ...every(outsiderImages.keys(), "pending") };
      expected[[...producerImages.keys()][5]!] = "rejected";
      expected[[...outsiderImages.keys()][0]!] = "accepted";
      expect(Object.fromEntries(all.map((i) => [i.imageId, i.memberStatus]))).toEqual(expected);
      const golden = all.find((i) => i.name === "golden-10")!;
      expect(golden).toMatchObject({ owner: P, tags: ["approved"] });
      expect(golden.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // 31 images in the `all` list (the consumer's own one too: Glance lists it in every list), 28 + 1
      // pending, 1 + 1 rejected: pages, not images
      console.log(`[accept-shares] listSharedImages(): 30 images, requests ${JSON.stringify(counts)}`);
      expect(counts).toEqual({ token: 0, lists: { all: pages(31), pending: pages(29), rejected: pages(2) }, put: 0, other: [] });
      expect(counts.lists.all).toBeGreaterThan(1);

      const fromProducer = await consumer.listSharedImages({ owners: [P] });
      expect(fromProducer.map((i) => i.imageId).sort()).toEqual([...producerImages.keys()].sort());
      // one owner is filtered by Glance: its 18, not the 31
      expect(take().lists).toEqual({ all: pages(18), pending: pages(17), rejected: pages(1) });

      const tagged = await consumer.listSharedImages({ owners: [P, O], tags: ["linux", "approved"] });
      expect(tagged.map((i) => i.name).sort()).toEqual([
        "golden-0",
        "golden-0",
        "golden-0",
        "golden-0",
        "golden-1",
        "golden-1",
        "golden-1",
        "golden-1",
        "golden-2",
        "golden-2",
        "golden-2",
        "golden-2",
        "golden-3",
        "golden-3",
        "golden-3",
        "golden-3",
      ]);
      // every page asked for both tags (Glance's next link would have dropped one)
      const asked = glanceLog().map((e) => new URLSearchParams(e.query ?? ""));
      expect(asked.some((q) => q.has("marker"))).toBe(true);
      for (const q of asked) expect(q.getAll("tag").sort()).toEqual(["approved", "linux"]);
      take();

      const pending = await consumer.listSharedImages({ memberStatus: "pending" });
      expect(pending).toHaveLength(28);
      expect(take().lists).toEqual({ pending: pages(29) });

      // an admin credential: Glance puts every shared image in every list, which the SDK refuses to guess from
      const admin = await openImageService({ cloud: "admin" }, { env: { ...process.env, OS_CLIENT_CONFIG_FILE: clouds } });
      await expect(admin.listSharedImages()).rejects.toMatchObject({
        hint: expect.stringContaining("Glance ignores member_status for credentials with the admin role"),
      });
      take();

      // back to pending for the stacks below
      await setMemberStatusRaw(os.cloudsFile, "consumer", [...producerImages.keys()][5]!, C, "pending");
      await setMemberStatusRaw(os.cloudsFile, "consumer", [...outsiderImages.keys()][0]!, C, "pending");
    },
    SLOW,
  );
});

describe("AcceptShares through the Pulumi CLI", () => {
  it(
    "a project nobody shares with gets a resource with no shares, not an error",
    async () => {
      const s = await stack("accept-none");
      // the producer as a consumer: nothing is shared with it (its own shared images are listed by Glance, and left out)
      const program: Program<Pkg> = (pkg) => {
        const none = new pkg.AcceptShares("none", { owners: [C, O], cloud: "producer" });
        return { imageIds: none.imageIds };
      };
      take();
      const up = await s.up(program);
      expect(changes(up)).toEqual(["create:test-project-dev", "create:none"]);
      expect(up.outputs).toEqual({ imageIds: [] });
      expect(s.eng.resource("none")).toMatchObject({ type: RESOURCE, outputs: { imageIds: [], statuses: {} } });
      expect(take().put).toBe(0);
      await s.expectNoDrift(program);
      await s.destroy();
      expect(take().put).toBe(0);
    },
    SLOW,
  );

  it(
    "nameMatch and tags pick the images; the outsider's look-alikes and the consumer's own are left alone",
    async () => {
      const s = await stack("accept-filtered");
      take();
      const program: Program<Pkg> = (pkg) => {
        const golden = new pkg.AcceptShares("golden", {
          owners: [P],
          nameMatch: "golden-?",
          tags: ["approved"],
          statusOnDelete: "pending",
          cloud: "consumer",
        });
        return { imageIds: golden.imageIds };
      };
      const picked = [...producerImages]
        .filter(([, name]) => /^golden-[0-3]$/.test(name))
        .map(([id]) => id)
        .sort();
      expect(picked).toHaveLength(4);
      const up = await s.up(program);
      expect(changes(up)).toEqual(["create:test-project-dev", "create:golden"]);
      expect(up.outputs).toEqual({ imageIds: picked });
      expect(s.eng.resource("golden")!.urn).toBe(s.eng.urn(RESOURCE, "golden"));
      expect(s.eng.resource("golden")!.outputs).toMatchObject({
        imageIds: picked,
        statuses: every(picked, "accepted"),
        nameMatch: "golden-?",
        tags: ["approved"],
        statusOnDelete: "pending",
      });
      expect(putImages(glanceLog()).sort()).toEqual(picked);
      expect(await statuses("producer", producerImages.keys())).toEqual({
        ...every(producerImages.keys(), "pending"),
        ...every(picked, "accepted"),
      });
      expect(await statuses("outsider", outsiderImages.keys())).toEqual(every(outsiderImages.keys(), "pending"));
      await s.expectNoDrift(program);
      await s.destroy();
      expect(await statuses("producer", producerImages.keys())).toEqual(every(producerImages.keys(), "pending"));
      take();
    },
    SLOW,
  );

  it(
    "30 images of two owners across pages: one up accepts them; the program, refresh and destroy request pages, not images",
    async () => {
      const s = await stack("accept-all-30");
      const program: Program<Pkg> = (pkg) => {
        const all = new pkg.AcceptShares("all", { owners: [P, O], statusOnDelete: "pending", cloud: "consumer" });
        return { count: all.imageIds.apply((ids) => ids.length) };
      };
      take();
      const up = await s.up(program);
      const counts = take();
      console.log(
        `[accept-shares] up accepting 30 images: ${(up.ms / 1000).toFixed(1)} s, ${up.plugins.length} plugin process(es), requests ${JSON.stringify(counts)}`,
      );
      expect(up.outputs).toEqual({ count: 30 });
      expect(changes(up)).toEqual(["create:test-project-dev", "create:all"]);
      // the program's listing: the set (31 with the consumer's own image), no statuses; create: the set,
      // pending 31 (the own image is in every list), rejected 1; then one PUT per image
      expect(counts.lists).toEqual({ all: 2 * pages(31), pending: pages(31), rejected: pages(1) });
      expect(counts.put).toBe(30);
      expect(counts.other).toEqual([]);
      expect(counts.token).toBeLessThanOrEqual(2); // the program's, unless this process holds one, and the plugin's
      expect(await statuses("producer", producerImages.keys())).toEqual(every(producerImages.keys(), "accepted"));
      expect(await statuses("outsider", outsiderImages.keys())).toEqual(every(outsiderImages.keys(), "accepted"));

      const check = await s.eng.preview(program, { refresh: true, expectNoChanges: true });
      s.results.push(check);
      const checkCounts = take();
      console.log(
        `[accept-shares] preview --refresh --expect-no-changes of the 30: ${(check.ms / 1000).toFixed(1)} s, requests ${JSON.stringify(checkCounts)}`,
      );
      // the program's listing, and the refresh's three lists (now 30 accepted: the pending list holds
      // only the consumer's own image); no request per image
      expect(checkCounts.lists).toEqual({ all: 2 * pages(31), pending: pages(1), rejected: pages(1) });
      expect(checkCounts.put).toBe(0);
      expect(checkCounts.other).toEqual([]);
      s.results.push(await s.eng.refresh({ previewOnly: true, expectNoChanges: true }));
      expect(take()).toMatchObject({ lists: { all: pages(31), pending: pages(1), rejected: pages(1) }, put: 0, other: [] });

      const down = await s.destroy();
      const downCounts = take();
      console.log(`[accept-shares] destroy of the 30: ${(down.ms / 1000).toFixed(1)} s, requests ${JSON.stringify(downCounts)}`);
      expect(downCounts).toMatchObject({ lists: {}, put: 30, other: [] });
      expect(await statuses("producer", producerImages.keys())).toEqual(every(producerImages.keys(), "pending"));
      expect(await statuses("outsider", outsiderImages.keys())).toEqual(every(outsiderImages.keys(), "pending"));
    },
    SLOW,
  );

  describe("a consumer that trusts the producer only", () => {
    let s: TestStack;
    let outsiderBefore: Record<string, { status?: string; updated?: string }>;
    let ownBefore: unknown;
    const untouched: string[] = [];
    const program: Program<Pkg> = (pkg) => {
      const trusted = new pkg.AcceptShares("trusted", { owners: [P], cloud: "consumer" });
      return { imageIds: trusted.imageIds };
    };
    const held = () => s.eng.resource("trusted")!.outputs as { imageIds: string[]; statuses: Record<string, string> };
    /** Notes the PUTs since the last call on images other than the producer's (there must be none); the counts, afresh. */
    const seen = () => {
      untouched.push(...putImages(glanceLog()).filter((id) => !producerImages.has(id)));
      return take();
    };

    beforeAll(async () => {
      s = await stack("accept-trusted");
      outsiderBefore = await memberships("outsider", outsiderImages.keys());
      ownBefore = (await listMembersRaw(os.cloudsFile, "consumer", consumerOwn)).body.members;
      take();
    });

    it(
      "up accepts every image the producer shares, over 3 pages per list; the outsider's stay pending",
      async () => {
        const up = await s.up(program);
        const counts = seen();
        console.log(`[accept-shares] up accepting the producer's 18: ${(up.ms / 1000).toFixed(1)} s, requests ${JSON.stringify(counts)}`);
        // one owner is filtered by Glance: the program's set and create's three lists of its 18
        expect(counts.lists).toEqual({ all: 2 * pages(18), pending: pages(18), rejected: pages(0) });
        expect(counts.put).toBe(18);
        expect(counts.other).toEqual([]);
        expect(up.outputs).toEqual({ imageIds: [...producerImages.keys()].sort() });
        expect(held()).toMatchObject({ imageIds: [...producerImages.keys()].sort(), statuses: every(producerImages.keys(), "accepted") });
        expect(await statuses("producer", producerImages.keys())).toEqual(every(producerImages.keys(), "accepted"));
        await s.expectNoDrift(program);
        seen();
      },
      SLOW,
    );

    it(
      "a new share from the producer fails the drift check; a plain up accepts it, and only it; a new share from the outsider is no drift",
      async () => {
        // the tests after this one use it: kept until the file's end
        const late = await createTestImage(os.cloudsFile, "producer", { visibility: "shared", name: "late" }, "file");
        await addMemberRaw(os.cloudsFile, "producer", late, C);
        producerImages.set(late, "late");
        const fromOutsider = await createTestImage(os.cloudsFile, "outsider", { visibility: "shared", name: "late" }, "file");
        await addMemberRaw(os.cloudsFile, "outsider", fromOutsider, C);
        outsiderBefore[fromOutsider] = (await memberships("outsider", [fromOutsider]))[fromOutsider]!;
        take();

        const drift = await s.expectDrift(program);
        expect(changes(drift)).toEqual(["update:trusted"]);
        // a dynamic provider's diff names no property (pulumi.dynamic.DiffResult has no `diffs`): the
        // preview shows the resource's update
        expect(drift.output).toMatch(/dynamic\/glance:AcceptShares\s+trusted\s+update/);
        expect(drift.message).toContain("no changes were expected for preview but changes were proposed");
        expect(seen().put).toBe(0);

        const up = await s.up(program);
        expect(putImages(glanceLog())).toEqual([late]);
        seen();
        expect(changes(up)).toEqual(["update:trusted"]);
        expect(held().imageIds).toEqual([...producerImages.keys()].sort());
        expect((await statuses("producer", [late]))[late]).toBe("accepted");
        await s.expectNoDrift(program);
        seen();
      },
      SLOW,
    );

    it(
      "a share the producer removed, or an image it deleted, is no drift; the next up drops them without an error",
      async () => {
        const [removed, deleted] = [...producerImages.keys()].slice(0, 2) as [string, string];
        expect((await deleteMemberRaw(os.cloudsFile, "producer", removed, C)).status).toBe(204);
        await deleteImage(os.cloudsFile, "producer", deleted);

        const check = await s.eng.preview(program, { refresh: true, expectNoChanges: true, allowFailure: true });
        s.results.push(check);
        expect(check.exitCode).toBe(0);
        expect(changes(check)).toEqual([]);
        // the refresh alone compares with the stored inputs, which still name them:
        // `refresh --preview-only --expect-no-changes` reports that
        const refresh = await s.eng.refresh({ previewOnly: true, expectNoChanges: true, allowFailure: true });
        s.results.push(refresh);
        expect(refresh.exitCode).toBe(7);
        expect(changes(refresh)).toEqual(["refresh-update:trusted"]);

        const up = await s.up(program);
        seen();
        expect(changes(up)).toEqual(["update:trusted"]);
        expect(up.errors).toEqual([]);
        producerImages.delete(removed);
        producerImages.delete(deleted);
        expect(held().imageIds).toEqual([...producerImages.keys()].sort());
        // nothing came back: the removed share is still not a membership
        expect((await listMembersRaw(os.cloudsFile, "producer", removed)).body.members).toEqual([]);
        await s.expectNoDrift(program);
        seen();
      },
      SLOW,
    );

    it(
      "a status changed by hand on a share is drift; up --refresh repairs it, writing that share only",
      async () => {
        const image = [...producerImages.keys()][3]!;
        expect((await setMemberStatusRaw(os.cloudsFile, "consumer", image, C, "rejected")).status).toBe(200);
        const drift = await s.expectDrift(program);
        expect(changes(drift)).toEqual(["update:trusted"]);
        // a plain up diffs against the stored state and does not see it
        expect(changes(await s.up(program))).toEqual([]);
        expect((await statuses("producer", [image]))[image]).toBe("rejected");
        take();
        const repair = await s.up(program, { refresh: true });
        expect(putImages(glanceLog())).toEqual([image]);
        seen();
        expect(changes(repair)).toEqual(["update:trusted"]);
        expect((await statuses("producer", [image]))[image]).toBe("accepted");
        expect(held().statuses[image]).toBe("accepted");
        await s.expectNoDrift(program);
        seen();
      },
      SLOW,
    );

    it("the outsider's shares and the consumer's own image were never touched", async () => {
      expect(untouched).toEqual([]);
      expect(await memberships("outsider", Object.keys(outsiderBefore))).toEqual(outsiderBefore);
      expect(Object.values(outsiderBefore).every((m) => m.status === "pending")).toBe(true);
      expect((await listMembersRaw(os.cloudsFile, "consumer", consumerOwn)).body.members).toEqual(ownBefore);
    });

    it(
      "destroy leaves the shares rejected",
      async () => {
        await s.destroy();
        expect(await statuses("producer", producerImages.keys())).toEqual(every(producerImages.keys(), "rejected"));
        expect(s.eng.resources().filter((r) => r.type === RESOURCE)).toEqual([]);
      },
      SLOW,
    );
  });

  it(
    "bad arguments stop the program before any request, naming each property",
    async () => {
      const s = await stack("accept-bad");
      take();
      const r = await s.eng.up(
        (pkg) => {
          new pkg.AcceptShares("bad", { owners: [P, "", "a/b"], status: "ACCEPTED" as "accepted", nameMatch: "" });
        },
        { allowFailure: true },
      );
      s.results.push(r);
      expect(r.exitCode).toBe(1);
      expect(r.message).toContain(
        'AcceptShares "bad": owners[1] must not be empty (a project id); owners[2] "a/b" must not contain "/" (a project id); status "ACCEPTED" is not a member status',
      );
      expect(r.message).toContain('nameMatch must be a non-empty glob (* and ?), not ""');
      expect(keystone.log()).toEqual([]);
      expect(glance.log()).toEqual([]);
      expect(s.eng.resources().filter((x) => x.type !== "pulumi:pulumi:Stack")).toEqual([]);
    },
    SLOW,
  );

  it("no password or token in any stack's state, output or error", () => {
    expectNoLeaks(
      { stacks: stacks.map((s) => s.eng), results: stacks.flatMap((s) => s.results) },
      [os.password, os.adminPassword],
      [keystone, glance],
    );
  });
});
