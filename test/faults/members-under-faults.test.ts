import { describe, expect, it } from "vitest";
import { FAULT_KINDS, type FaultConfig, FaultPlanner, randomSeed } from "../../dev/harness/fault-proxy";
import { listMembersRaw, projectToken } from "../../dev/harness/images";
import type { RetryPolicy } from "../../sdk/http";
import { openImageService } from "../../sdk/image-service";
import type { Member } from "../../sdk/types";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { watchProxies } from "../support/proxy-watch";

/**
 * The SDK through a proxy that faults 20% of Glance's requests, against the real Glance: whatever
 * the mix of lost requests, lost answers, 503 bursts, 429s and delays, the outcome is exact.
 * FAULT_SEED=<n> replays a run (the seed is in the summary line each test prints).
 */
const cloud = testCloud();
const fast: RetryPolicy = { attempts: 10, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 1500 };
const MEMBERS = 100;
const CONCURRENCY = 10;

/** 20% of the draws fault a request; a 503 burst covers two requests. */
const mix = (path: RegExp): FaultConfig => ({
  dropBefore: { rate: 0.05, path },
  dropAfter: { rate: 0.05, path },
  status503: { rate: 0.02, burst: 2, path },
  status429: { rate: 0.03, retryAfterSeconds: 1, path },
  latency: { rate: 0.05, minMs: 10, maxMs: 80, path },
});

/**
 * FAULT_SEED, or a random seed whose first `n` requests (all matching the rules) include every
 * fault kind at least twice: a run proves something about each kind, and stays replayable.
 */
function seedCovering(config: FaultConfig, n: number): number {
  if (process.env.FAULT_SEED) return Number(process.env.FAULT_SEED);
  for (;;) {
    const seed = randomSeed();
    const planner = new FaultPlanner(seed, config);
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const d = planner.next("POST", "/v2/images/x/members");
      counts[d.fault] = (counts[d.fault] ?? 0) + 1;
    }
    if (FAULT_KINDS.every((k) => (counts[k] ?? 0) >= 2)) return seed;
  }
}

const watch = watchProxies(cloud.secrets);
const see = watch.see;
const report = (line: string) => {
  see(line);
  console.log(line);
};

/** Runs `work` over `items`, `limit` at a time; collects every failure instead of stopping at the first. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<{ results: R[]; errors: unknown[] }> {
  const results: R[] = [];
  const errors: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        try {
          results.push(await work(item));
        } catch (e) {
          errors.push(e);
        }
      }
    }),
  );
  return { results, errors };
}

async function membersOf(imageId: string): Promise<string[]> {
  const r = await listMembersRaw(cloud.cloudsFile, "producer", imageId);
  expect(r.status).toBe(200);
  return (r.body.members as { member_id: string }[]).map((m) => m.member_id);
}

const newMember = () => crypto.randomUUID().replaceAll("-", "");

describe("members through a proxy faulting 20% of Glance's requests", () => {
  it(`${MEMBERS} createMember calls, ${CONCURRENCY} at a time, end with exactly ${MEMBERS} members and no error`, async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "faults-100-members" });
    watch.token(await projectToken(cloud.cloudsFile, "producer"));
    const config = mix(/\/members(\/|$)/);
    const seed = seedCovering(config, MEMBERS);
    const proxy = await watch.proxy(cloud.imageUrl, { seed, faults: config });
    const attempts: string[] = [];
    const glance = await openImageService(
      { cloud: "producer", imageEndpoint: proxy.url },
      {
        retry: fast,
        onAttempt: (e) => attempts.push(`${e.method} ${e.status ?? e.error}`),
      },
    );

    const wanted = Array.from({ length: MEMBERS }, newMember);
    const t0 = Date.now();
    const { results, errors } = await pool(wanted, CONCURRENCY, (m) => glance.createMember(image, m));
    const seconds = (Date.now() - t0) / 1000;
    errors.forEach(see);

    const s = proxy.stats();
    const recovered409 = attempts.filter((a) => a === "POST 409").length;
    report(
      `[faults] ${MEMBERS} createMember x${CONCURRENCY} in ${seconds.toFixed(2)} s, ${attempts.length} attempts ` +
        `(${recovered409} POST 409 after a lost answer), faulted ${((100 * s.faulted) / s.requests).toFixed(1)}% | ${proxy.summary()}`,
    );

    expect(errors.map((e) => (e as Error).message)).toEqual([]);
    expect(results.map((m: Member) => m.memberId).sort()).toEqual([...wanted].sort());
    expect(results.every((m) => m.imageId === image && m.status === "pending")).toBe(true);
    const actual = await membersOf(image);
    expect(actual).toHaveLength(MEMBERS);
    expect(new Set(actual).size).toBe(MEMBERS);
    expect([...actual].sort()).toEqual([...wanted].sort());

    // the run really was hostile: every kind, about a fifth of the requests
    for (const kind of FAULT_KINDS) expect(s.faults[kind], kind).toBeGreaterThanOrEqual(2);
    expect(s.faulted / s.requests).toBeGreaterThan(0.05);
    expect(s.faulted / s.requests).toBeLessThan(0.4);
    // every create whose 200 was lost (Glance acted, the client saw a reset) met a 409 on a later
    // attempt and was recovered from it, and no other create did
    const lostCreates = proxy.log().filter((e) => e.method === "POST" && e.fault === "dropAfter" && e.upstreamStatus === 200).length;
    expect(lostCreates).toBeGreaterThanOrEqual(1);
    expect(recovered409).toBe(lostCreates);
    expect(s.upstreamErrors).toBe(0);
  });

  it("deleting them all again under the same faults leaves none (a lost answer's 404 is success)", async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "faults-delete" });
    const direct = await openImageService({ cloud: "producer" }, { retry: fast });
    const wanted = Array.from({ length: 40 }, newMember);
    await pool(wanted, CONCURRENCY, (m) => direct.createMember(image, m));
    expect(await membersOf(image)).toHaveLength(wanted.length);

    const config = mix(/\/members(\/|$)/);
    const proxy = await watch.proxy(cloud.imageUrl, {
      seed: process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : randomSeed(),
      faults: config,
    });
    const attempts: string[] = [];
    const glance = await openImageService(
      { cloud: "producer", imageEndpoint: proxy.url },
      { retry: fast, onAttempt: (e) => attempts.push(`${e.method} ${e.status ?? e.error}`) },
    );
    const t0 = Date.now();
    const { errors } = await pool(wanted, CONCURRENCY, (m) => glance.deleteMember(image, m));
    errors.forEach(see);
    report(
      `[faults] ${wanted.length} deleteMember x${CONCURRENCY} in ${((Date.now() - t0) / 1000).toFixed(2)} s, ${attempts.length} attempts ` +
        `(${attempts.filter((a) => a === "DELETE 404").length} DELETE 404) | ${proxy.summary()}`,
    );
    expect(errors.map((e) => (e as Error).message)).toEqual([]);
    expect(await membersOf(image)).toEqual([]);
    // reads through the same faults agree
    expect(await glance.listMembers(image)).toEqual([]);
  });
});
