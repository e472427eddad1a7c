// The benchmark (`npm run bench`, scripts/bench/benchmark.ts) at N = 20, one run, on its own
// Keystone + Glance with the member quota lifted: it asserts the request counts measured at the
// counting proxies, never the times (those depend on whatever else shares the two cores).
//
// README "Guarantees" (few requests): one token request per credential set per plugin process, whatever N
// and the parallelism; one POST per created member; refreshing N producer members of one image costs
// one list request and no single-member GET; one DELETE per member.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBenchmark, setupBench, type BenchResults, type BenchSetup, type PhaseResult } from "../../scripts/bench/benchmark";
import { requireLocalInstance } from "../support/cloud";
import { startOpenStack, type OpenStack } from "../../harness/openstack";

const N = 20;

describe(`benchmark, N = ${N}, 1 run: request counts`, () => {
  let os: OpenStack | undefined;
  let bench: BenchSetup | undefined;
  let results: BenchResults;
  const provider = () => results.runs[0].provider!;

  beforeAll(async () => {
    requireLocalInstance("the benchmark (it starts its own Keystone + Glance with the member quota lifted)");
    os = await startOpenStack({ memberQuota: -1 });
    bench = await setupBench(os);
    results = await runBenchmark(bench, { members: N, runs: 1 });
  }, 300_000);

  afterAll(async () => {
    await bench?.close();
    await os?.stop();
  }, 60_000);

  it("ran every method once, each ending with the image's members as expected", () => {
    expect(results.runs).toHaveLength(1);
    expect(Object.keys(results.runs[0]).filter((k) => k !== "run" && k !== "order").sort()).toEqual(["openstacksdk", "provider", "raw"]);
  });

  it("the provider asks for one token per credential set per plugin process, in every command", () => {
    for (const op of ["create", "refresh", "delete"] as const) {
      const phase: PhaseResult = provider()[op];
      expect(phase.pluginProcesses, op).toBe(1);
      expect(phase.requests.token, op).toBe(results.meta.credentialSets * phase.pluginProcesses!);
      // every request of the phase came from the plugin (the SDK's user agent)
      expect(Object.keys(phase.requests.byClient), op).toEqual(["pulumi-image-members"]);
    }
  });

  it("create: one POST per member and nothing else", () => {
    const { requests, calls } = provider().create;
    expect(calls).toBe(N);
    expect(requests).toMatchObject({ post: N, getOne: 0, getList: 0, put: 0, delete: 0, other: 0, failed: 0 });
  });

  it("refresh of N members of one image: one list GET and no single-member GET", () => {
    const { requests, calls } = provider().refresh;
    expect(calls).toBe(N);
    expect(requests).toMatchObject({ getList: 1, getOne: 0, post: 0, put: 0, delete: 0, other: 0, failed: 0 });
  });

  it("delete: one DELETE per member", () => {
    const { requests, calls } = provider().delete;
    expect(calls).toBe(N);
    expect(requests).toMatchObject({ delete: N, post: 0, getOne: 0, getList: 0, put: 0, other: 0, failed: 0 });
  });

  it("the baselines made the requests they are compared by", () => {
    const raw = results.runs[0].raw!;
    expect(raw.create.requests).toMatchObject({ token: 1, post: N, failed: 0 });
    expect(raw.refresh.requests).toMatchObject({ token: 0, getOne: N, getList: 0, failed: 0 });
    expect(raw.delete.requests).toMatchObject({ token: 0, delete: N, failed: 0 });
    const sdk = results.runs[0].openstacksdk!;
    expect(sdk.create.requests).toMatchObject({ token: 1, post: N, failed: 0 });
    expect(sdk.refresh.requests).toMatchObject({ token: 0, getOne: N, failed: 0 });
    expect(sdk.delete.requests).toMatchObject({ token: 0, delete: N, failed: 0 });
  });

  it("every economy check of the benchmark passes, and the report shows them", () => {
    expect(results.economy.filter((c) => !c.pass)).toEqual([]);
    expect(results.economy.length).toBeGreaterThanOrEqual(13);
    // floors are reported, not asserted (timing): they exist and say what they measured
    expect(results.floors.map((f) => f.name).join("\n")).toMatch(/create throughput[\s\S]*peak RSS/);
    expect(results.rows.find((r) => r.method === "provider" && r.operation === "create")!.peakRssMb).toBeGreaterThan(0);
  });
});
