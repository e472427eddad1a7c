// The benchmark (`npm run bench`, bench/measure.ts) at N = 20, one run, through the real
// Pulumi CLI, on its own Keystone + Glance with the member quota lifted: it asserts the request counts
// measured at the counting proxies and the plugin processes each command started, never the times
// (those depend on whatever else shares the two cores).
//
// docs/guarantees.md (few requests): at most one token request per credential set per plugin
// process, whatever N and the parallelism; one POST per created member; refreshing N producer members
// of one image costs one list request per plugin process that reads them and no single-member GET;
// one DELETE per member.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BenchResults,
  type BenchSetup,
  type MethodResult,
  OPERATIONS,
  type Operation,
  type PhaseResult,
  runBenchmark,
  setupBench,
} from "../../bench/measure";
import { type OpenStack, startOpenStack } from "../../dev/harness/openstack";
import { requireLocalInstance } from "../support/cloud";

const N = 20;

/** Plugin processes the CLI (dev/pulumi-cli.sh) starts per command (measured; the preview of a refresh is a second one). */
const PLUGIN_PROCESSES: Record<Operation, number> = { create: 1, refresh: 1, check: 2, delete: 1 };
/** Node.js language hosts the CLI (dev/pulumi-cli.sh) starts per command for the stacks' folder program (measured:
 *  `up` and `preview` start one to list the program's plugins and one to run it; refresh and destroy,
 *  which do not run the program, one). */
const LANGUAGE_HOSTS: Record<Operation, number> = { create: 2, refresh: 1, check: 2, delete: 1 };

describe(`benchmark, N = ${N}, 1 run, through the real CLI: request counts and plugin processes`, () => {
  let os: OpenStack | undefined;
  let bench: BenchSetup | undefined;
  let results: BenchResults;
  const phase = (m: MethodResult | undefined, op: Operation): PhaseResult => {
    const p = m?.[op];
    if (!p) throw new Error(`no ${op} phase`);
    return p;
  };
  const provider = (op: Operation) => phase(results.runs[0].provider, op);

  beforeAll(async () => {
    requireLocalInstance("the benchmark (it starts its own Keystone + Glance with the member quota lifted)");
    os = await startOpenStack({ memberQuota: -1 });
    bench = await setupBench(os);
    results = await runBenchmark(bench, { members: N, runs: 1 });
  }, 600_000);

  afterAll(async () => {
    await bench?.close();
    await os?.stop();
  }, 60_000);

  it("ran every method once, each ending with the image's members as expected", () => {
    expect(results.runs).toHaveLength(1);
    expect(
      Object.keys(results.runs[0])
        .filter((k) => k !== "run" && k !== "order")
        .sort(),
    ).toEqual(["noop", "openstacksdk", "provider", "raw"]);
  });

  it("each command started the plugin processes the CLI starts for it, for the provider and the no-op provider alike", () => {
    for (const op of OPERATIONS) {
      expect(provider(op).pluginProcesses, `provider ${op}`).toBe(PLUGIN_PROCESSES[op]);
      expect(phase(results.runs[0].noop, op).pluginProcesses, `noop ${op}`).toBe(PLUGIN_PROCESSES[op]);
      expect(provider(op).steps, op).toBe(N);
    }
  });

  it("every command ran the stack's folder program through the Node.js language host, not a program served by the benchmark", () => {
    for (const op of OPERATIONS) {
      expect(provider(op).languageHosts, `provider ${op}`).toBe(LANGUAGE_HOSTS[op]);
      expect(phase(results.runs[0].noop, op).languageHosts, `noop ${op}`).toBe(LANGUAGE_HOSTS[op]);
    }
  });

  it("the provider asks for at most one token per credential set per plugin process, in every command, and only it sent requests", () => {
    for (const op of OPERATIONS) {
      const { requests } = provider(op);
      expect(requests.token, op).toBe(1); // also when the command started two plugin processes: one of them asked
      expect(requests.token, op).toBeLessThanOrEqual(results.meta.credentialSets * provider(op).pluginProcesses!);
      // every request of the phase came from the plugin (the SDK's user agent)
      expect(Object.keys(requests.byClient), op).toEqual(["pulumi-image-members"]);
    }
  });

  it("create (pulumi up): one POST per member and nothing else", () => {
    expect(provider("create").requests).toMatchObject({ post: N, getOne: 0, getList: 0, put: 0, delete: 0, other: 0, failed: 0 });
  });

  it("refresh (pulumi refresh) of N members of one image: one list GET, no single-member GET", () => {
    expect(provider("refresh").requests).toMatchObject({ getList: 1, getOne: 0, post: 0, put: 0, delete: 0, other: 0, failed: 0 });
  });

  it("the drift check (pulumi preview --refresh, two plugin processes): one list GET", () => {
    expect(provider("check").requests).toMatchObject({ getList: 1, getOne: 0, post: 0, put: 0, delete: 0, other: 0, failed: 0 });
  });

  it("delete (pulumi destroy): one DELETE per member", () => {
    expect(provider("delete").requests).toMatchObject({ delete: N, post: 0, getOne: 0, getList: 0, put: 0, other: 0, failed: 0 });
  });

  it("the no-op provider sent nothing, and both wrote checkpoints", () => {
    for (const op of OPERATIONS) {
      const noop = phase(results.runs[0].noop, op);
      expect(noop.requests, op).toMatchObject({ token: 0, post: 0, getOne: 0, getList: 0, put: 0, delete: 0, other: 0 });
      if (op === "create") {
        expect(noop.checkpoint!.writes).toBeGreaterThanOrEqual(N);
        expect(provider(op).checkpoint!.writes).toBeGreaterThanOrEqual(N);
        expect(noop.skipCheckpointsMs).toBeGreaterThan(0);
      }
    }
  });

  it("the baselines made the requests they are compared by", () => {
    const raw = results.runs[0].raw;
    expect(phase(raw, "create").requests).toMatchObject({ token: 1, post: N, failed: 0 });
    expect(phase(raw, "refresh").requests).toMatchObject({ token: 0, getOne: N, getList: 0, failed: 0 });
    expect(phase(raw, "delete").requests).toMatchObject({ token: 0, delete: N, failed: 0 });
    const sdk = results.runs[0].openstacksdk;
    expect(phase(sdk, "create").requests).toMatchObject({ token: 1, post: N, failed: 0 });
    expect(phase(sdk, "refresh").requests).toMatchObject({ token: 0, getOne: N, failed: 0 });
    expect(phase(sdk, "delete").requests).toMatchObject({ token: 0, delete: N, failed: 0 });
  });

  it("every economy check of the benchmark passes, and the report shows the floor and the plugins' memory", () => {
    expect(results.economy.filter((c) => !c.pass)).toEqual([]);
    expect(results.economy.length).toBeGreaterThanOrEqual(20);
    // floors are reported, not asserted (timing): the throughput floor exists and says what it measured
    expect(results.floors.map((f) => f.name).join("\n")).toMatch(/create throughput/);
    for (const method of ["provider", "noop"] as const) {
      expect(results.rows.find((r) => r.method === method && r.operation === "create")!.peakRssMb, method).toBeGreaterThan(0);
    }
  });
});
