import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudsFileVia, type FaultProxy, removeCloudsCopies, startFaultProxy } from "../../dev/harness/fault-proxy";
import { addMemberRaw, listImages } from "../../dev/harness/images";
import { type OpenStack, startOpenStack } from "../../dev/harness/openstack";
import type { Program } from "../../dev/harness/pulumi";
import { inParallel } from "../../provider/parallel";
import { requireLocalInstance } from "../support/cloud";
import { createTestImage, deleteTestImages } from "../support/images";
import { expectNoLeaks } from "../support/leaks";
import { changes, newStack, type Pkg, type TestStack } from "./support";

/**
 * The floor for a consumer with many shares: 500 accepted shares from 2 owners, on a Glance whose
 * `api_limit_max` is 50. `pulumi refresh` and the drift check (`pulumi preview --refresh
 * --expect-no-changes`) each make at most 25 requests at Glance: pages of the image list, never one
 * request per image. A counting proxy stands in front of Glance.
 */
const PAGE = 50;
const PER_OWNER = 250;
const FLOOR = 25;
/** Raw requests in flight while the images are made and removed: the rig has 2 cores. */
const SETUP_IN_FLIGHT = 6;
const SLOW = 900_000;

let os: OpenStack;
let glance: FaultProxy;
let clouds: string;
let savedClientConfig: string | undefined;
let stack: TestStack;
const images: { owner: "producer" | "outsider"; id: string }[] = [];

/** Pages of a list of n images: full pages, then the one that is not full (an empty one when n is a multiple). */
const pages = (n: number) => Math.floor(n / PAGE) + 1;

/** Glance's requests since the last call, by kind; starts counting afresh. */
function take(): { total: number; lists: Record<string, number>; other: string[] } {
  const log = glance.log();
  const lists: Record<string, number> = {};
  const other: string[] = [];
  for (const e of log) {
    if (e.method === "GET" && e.path === "/v2/images") {
      const status = new URLSearchParams(e.query ?? "").get("member_status") ?? "(none)";
      lists[status] = (lists[status] ?? 0) + 1;
    } else other.push(`${e.method} ${e.path}`);
  }
  glance.reset();
  return { total: log.length, lists, other };
}

const program: Program<Pkg> = (pkg) => {
  const all = new pkg.AcceptShares("all", { owners: [os.projects.producer, os.projects.outsider], cloud: "consumer" });
  return { count: all.imageIds.apply((ids) => ids.length) };
};

beforeAll(async () => {
  requireLocalInstance("the AcceptShares floor (it needs Glance with api_limit_max 50)");
  const t0 = Date.now();
  os = await startOpenStack({ apiLimitMax: PAGE });
  glance = await startFaultProxy(os.imageUrl);
  clouds = cloudsFileVia(os.cloudsFile, { glance: glance.url });
  // the program's listing runs in this process (the harness serves the inline program)
  savedClientConfig = process.env.OS_CLIENT_CONFIG_FILE;
  process.env.OS_CLIENT_CONFIG_FILE = clouds;

  const made = Date.now();
  const plan = (["producer", "outsider"] as const).flatMap((owner) => Array.from({ length: PER_OWNER }, (_, i) => ({ owner, i })));
  await inParallel(plan, SETUP_IN_FLIGHT, async ({ owner, i }) => {
    const id = await createTestImage(os.cloudsFile, owner, { visibility: "shared", name: `${owner}-${i}` });
    images.push({ owner, id });
    const added = await addMemberRaw(os.cloudsFile, owner, id, os.projects.consumer);
    if (added.status !== 200) throw new Error(`sharing ${id} with the consumer: ${added.status}`);
  });
  console.log(
    `[accept-floor] rig (api_limit_max ${PAGE}) in ${((made - t0) / 1000).toFixed(1)} s; ${images.length} shared images in ${((Date.now() - made) / 1000).toFixed(1)} s`,
  );
  stack = await newStack("accept-floor", {}, { OS_CLIENT_CONFIG_FILE: clouds });
}, SLOW);

afterAll(async () => {
  if (savedClientConfig === undefined) delete process.env.OS_CLIENT_CONFIG_FILE;
  else process.env.OS_CLIENT_CONFIG_FILE = savedClientConfig;
  await stack?.remove();
  await deleteTestImages();
  await glance?.close();
  removeCloudsCopies();
  await os?.stop();
}, SLOW);

describe(`500 accepted shares from 2 owners, Glance pages of ${PAGE}`, () => {
  it(
    "up accepts the 500",
    async () => {
      expect(images).toHaveLength(2 * PER_OWNER);
      take();
      const up = await stack.up(program);
      const counts = take();
      console.log(
        `[accept-floor] up accepting 500: ${(up.ms / 1000).toFixed(1)} s, Glance requests ${counts.total} (lists ${JSON.stringify(counts.lists)}, ${counts.other.length} others)`,
      );
      expect(up.outputs).toEqual({ count: 2 * PER_OWNER });
      expect(changes(up)).toEqual(["create:test-project-dev", "create:all"]);
      expect(counts.other.filter((r) => r.startsWith("PUT "))).toHaveLength(2 * PER_OWNER);
      // every share accepted, as the consumer's own accepted list says
      expect(await listImages(os.cloudsFile, "consumer", { visibility: "shared", member_status: "accepted" })).toHaveLength(2 * PER_OWNER);
    },
    SLOW,
  );

  it(
    `pulumi refresh makes at most ${FLOOR} Glance requests: pages of the three lists`,
    async () => {
      take();
      const refresh = await stack.eng.refresh({ expectNoChanges: true });
      stack.results.push(refresh);
      const counts = take();
      console.log(
        `[accept-floor] refresh of 500: ${(refresh.ms / 1000).toFixed(1)} s, Glance requests ${counts.total} ${JSON.stringify(counts)}`,
      );
      expect(counts.other).toEqual([]);
      expect(counts.lists).toEqual({ all: pages(500), pending: pages(0), rejected: pages(0) });
      expect(counts.total).toBeLessThanOrEqual(FLOOR);
    },
    SLOW,
  );

  it(
    `the drift check makes at most ${FLOOR} Glance requests: the program's list and the refresh's`,
    async () => {
      take();
      const check = await stack.eng.preview(program, { refresh: true, expectNoChanges: true });
      stack.results.push(check);
      const counts = take();
      console.log(
        `[accept-floor] preview --refresh --expect-no-changes of 500: ${(check.ms / 1000).toFixed(1)} s, Glance requests ${counts.total} ${JSON.stringify(counts)}`,
      );
      expect(counts.other).toEqual([]);
      expect(counts.lists).toEqual({ all: 2 * pages(500), pending: pages(0), rejected: pages(0) });
      expect(counts.total).toBeLessThanOrEqual(FLOOR);
    },
    SLOW,
  );

  it(
    "destroy leaves the 500 rejected",
    async () => {
      const down = await stack.destroy();
      const counts = take();
      console.log(`[accept-floor] destroy of 500: ${(down.ms / 1000).toFixed(1)} s, Glance requests ${counts.total}`);
      expect(await listImages(os.cloudsFile, "consumer", { visibility: "shared", member_status: "rejected" })).toHaveLength(2 * PER_OWNER);
    },
    SLOW,
  );

  it("no password or token in the state or the output", () => {
    expectNoLeaks({ stacks: [stack.eng], results: stack.results }, [os.password, os.adminPassword], [glance]);
  });
});
