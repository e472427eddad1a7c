// `npm run bench`: requests and time per membership through the real Pulumi CLI, against raw
// keep-alive HTTP and an openstacksdk loop, beside a no-op dynamic provider through the same CLI
// commands, on a local Keystone + Glance this script starts itself (member quota lifted) and stops at
// the end. See bench/measure.ts for what is measured.
//
// `npm run bench` builds dist/ (the package is packed from it, as users get it) and runs this file
// through bench/run.js (a plain transpile hook; see there why not ts-node).
//
//   npm run bench                                   N = 50 members, 1 run (a quick look)
//   npm run bench -- --members 200 --runs 3
//   npm run bench -- --members 1000 --runs 1        what the file backend's checkpoints cost at scale
//   npm run bench -- --out /tmp/bench.json --methods provider,raw
//   npm run bench -- --peers --members 100 --runs 1 beside OpenTofu and the bridged @pulumi/openstack
//   npm run bench -- --drift                        the drift table: each scenario with each tool
//   npm run bench -- --scale                        memberships at scale beside the peers (bench/scale.ts):
//                                                   N = 100, 1,000, 5,000 × 1 and 10 images, 3 runs (hours)
//   npm run bench -- --scale --sizes 100 --runs 1   one size, one run
//
// Prints one table plus ECONOMY and floor PASS/FAIL lines, and writes the same figures as JSON
// (default ./bench-results.json). Exit code: 0; 1 when it failed or a request-economy check failed;
// 2 when a floor failed and --strict was given (floors are timing: a busy machine can miss them).
// --peers and --drift first find the peer tools (bench/build-peers.sh builds them the first time on a
// machine, minutes each); a peer that cannot be built is reported as "not built: <reason>".
// --drift prints the drift table (bench/drift.ts) instead, writes it as Markdown (default
// ./drift-table.md) and JSON (default ./drift-results.json), and exits 0 when every tool that was
// built ran every scenario (whatever the tools answered: the answers are the measurement).
import * as fs from "node:fs";
import * as path from "node:path";
import { type OpenStack, startOpenStack } from "../dev/harness/openstack";
import { formatDriftTable, runDrift, SCENARIOS, writeDrift } from "./drift";
import {
  ALL_METHODS,
  type BenchSetup,
  formatReport,
  METHODS,
  type Method,
  type Operation,
  PEER_METHODS,
  type PeerMethod,
  runBenchmark,
  setupBench,
  stopRunningCommand,
} from "./measure";
import { findPeers, type Peers } from "./peers";
import { formatScale, runScale, SCALE_METHODS, type ScaleMethod, writeScale } from "./scale";

const USAGE = `usage: npm run bench -- [--members N] [--runs R] [--out FILE] [--concurrency C] [--parallel P]
                        [--methods provider,noop,raw,openstacksdk,opentofu,pulumi-openstack] [--peers]
                        [--skip-checkpoints] [--strict]
       npm run bench -- --drift [--scenarios a,b,...] [--table FILE] [--out FILE]
       npm run bench -- --scale [--sizes 100,1000,5000] [--layouts 1,10] [--runs R] [--time-limit S]
                        [--commands up,refresh,check,destroy]
                        [--methods ${SCALE_METHODS.join(",")}]
                        [--out FILE] [--table FILE] [--chart FILE]
  --members N      members of one image (default 50)
  --runs R         runs, medians over them (default 1)
  --out FILE       where the JSON goes (default ./bench-results.json; --drift: ./drift-results.json)
  --concurrency C  raw HTTP requests in flight, and the CLI's --parallel (default 10)
  --parallel P     the CLI's --parallel (and tofu's -parallelism), when it should differ from C
  --methods LIST   which methods to run (default provider,noop,raw,openstacksdk)
  --peers          add the peers: opentofu (N openstack_images_image_access_v2, OpenTofu 1.12.6 +
                   terraform-provider-openstack 3.4.0) and pulumi-openstack (N @pulumi/openstack 3.15.2
                   images.ImageAccess, bridged provider); built by bench/build-peers.sh when needed
  --skip-checkpoints  every CLI command with PULUMI_SKIP_CHECKPOINTS=true: the file backend writes
                   the state once per command instead of after every step (a comparison)
  --strict         exit 2 when a performance floor fails
  --drift          the drift table instead: each scenario with ours and each peer that could be built
  --scenarios LIST --drift: only these scenarios (${SCENARIOS.map((s) => s.id).join(",")})
  --table FILE     --drift, --scale: where the Markdown table goes (default ./drift-table.md, ./bench-results.md)
  --scale          memberships at scale: each method's up, refresh, drift check and destroy per case (3 runs
                   unless --runs; every peer is looked for, and built when needed)
  --sizes LIST     --scale: memberships per case (default 100,1000,5000)
  --layouts LIST   --scale: images the memberships are spread over (default 1,10)
  --time-limit S   --scale: where a method other than ImageShare and raw is stopped, per command (default 300)
  --commands LIST  --scale: only these commands, up among them (default up,refresh,check,destroy); a left-out cell reads "–"
  --chart FILE     --scale: where the SVG chart goes (default ./bench-results.svg)`;

class UsageError extends Error {}

/** --commands: the CLI commands by the names users know them. */
const COMMAND_OPERATIONS: Record<string, Operation> = { up: "create", refresh: "refresh", check: "check", destroy: "delete" };

interface Args {
  members: number;
  runs: number;
  out: string;
  concurrency: number;
  /** Default: concurrency. */
  parallel?: number;
  methods: Method[];
  skipCheckpoints: boolean;
  strict: boolean;
  peers: boolean;
  drift: boolean;
  scenarios?: string[];
  table: string;
  /** --out was given. */
  outGiven: boolean;
  /** --methods was given. */
  methodsGiven: boolean;
  scale: boolean;
  sizes: number[];
  layouts: number[];
  timeLimitS: number;
  /** --scale: the operations of the commands given by --commands. */
  operations?: Operation[];
  chart: string;
  scaleMethods: ScaleMethod[];
  runsGiven: boolean;
  tableGiven: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    members: 50,
    runs: 1,
    out: "bench-results.json",
    concurrency: 10,
    methods: METHODS,
    skipCheckpoints: false,
    strict: false,
    peers: false,
    drift: false,
    table: "drift-table.md",
    outGiven: false,
    methodsGiven: false,
    scale: false,
    sizes: [100, 1000, 5000],
    layouts: [1, 10],
    timeLimitS: 300,
    chart: "bench-results.svg",
    scaleMethods: SCALE_METHODS,
    runsGiven: false,
    tableGiven: false,
  };
  const ints = (flag: string, v: string | undefined) => (v ?? "").split(",").map((x) => int(flag, x));
  const int = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a positive integer, not ${v ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--members":
        args.members = int(flag, value());
        break;
      case "--runs":
        args.runs = int(flag, value());
        args.runsGiven = true;
        break;
      case "--sizes":
        args.sizes = ints(flag, value());
        break;
      case "--layouts":
        args.layouts = ints(flag, value());
        break;
      case "--time-limit":
        args.timeLimitS = int(flag, value());
        break;
      case "--commands": {
        const list = (value() ?? "").split(",").filter(Boolean);
        const bad = list.filter((c) => !(c in COMMAND_OPERATIONS));
        // refresh, check and destroy act on what up made
        if (!list.includes("up") || bad.length)
          throw new UsageError(`--commands takes up and any of refresh,check,destroy, comma-separated, not ${list.join(",") || "nothing"}`);
        args.operations = list.map((c) => COMMAND_OPERATIONS[c]);
        break;
      }
      case "--chart": {
        const v = value();
        if (!v) throw new UsageError("--chart needs a file name");
        args.chart = v;
        break;
      }
      case "--scale":
        args.scale = true;
        break;
      case "--concurrency":
        args.concurrency = int(flag, value());
        break;
      case "--parallel":
        args.parallel = int(flag, value());
        break;
      case "--out": {
        const v = value();
        if (!v) throw new UsageError("--out needs a file name");
        args.out = v;
        args.outGiven = true;
        break;
      }
      case "--table": {
        const v = value();
        if (!v) throw new UsageError("--table needs a file name");
        args.table = v;
        args.tableGiven = true;
        break;
      }
      case "--methods": {
        const list = (value() ?? "").split(",").filter(Boolean);
        const known = [...ALL_METHODS, ...SCALE_METHODS] as string[];
        const bad = list.filter((m) => !known.includes(m));
        if (!list.length || bad.length)
          throw new UsageError(
            `--methods takes a comma-separated subset of ${ALL_METHODS.join(",")} (--scale: ${SCALE_METHODS.join(",")})`,
          );
        args.methods = list as Method[];
        args.scaleMethods = list as ScaleMethod[];
        args.methodsGiven = true;
        break;
      }
      case "--scenarios": {
        const list = (value() ?? "").split(",").filter(Boolean);
        const ids = SCENARIOS.map((s) => s.id);
        const bad = list.filter((s) => !ids.includes(s));
        if (!list.length || bad.length) throw new UsageError(`--scenarios takes a comma-separated subset of ${ids.join(",")}`);
        args.scenarios = list;
        break;
      }
      case "--peers":
        args.peers = true;
        break;
      case "--drift":
        args.drift = true;
        break;
      case "--skip-checkpoints":
        args.skipCheckpoints = true;
        break;
      case "--strict":
        args.strict = true;
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        return process.exit(0);
      default:
        throw new UsageError(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  if (args.scale) {
    const bad = args.scaleMethods.filter((m) => !SCALE_METHODS.includes(m));
    if (bad.length)
      throw new UsageError(`--scale: --methods takes a comma-separated subset of ${SCALE_METHODS.join(",")}, not ${bad.join(",")}`);
    if (!args.runsGiven) args.runs = 3;
    if (!args.tableGiven) args.table = "bench-results.md";
    return args;
  }
  if ((args.methods as string[]).some((m) => !(ALL_METHODS as string[]).includes(m)))
    throw new UsageError(`--methods takes a comma-separated subset of ${ALL_METHODS.join(",")} (the others need --scale)`);
  if (args.peers) args.methods = [...new Set([...args.methods, ...PEER_METHODS])];
  if (args.drift && !args.outGiven) args.out = "drift-results.json";
  return args;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let openstack: OpenStack | undefined;
  let bench: BenchSetup | undefined;
  const cleanup = async () => {
    await bench?.close().catch(() => {});
    await openstack?.stop().catch((e: Error) => log(`stopping OpenStack: ${e.message}`));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping what the benchmark started`);
      stopRunningCommand();
      void cleanup().then(() => process.exit(130));
    });
  }
  try {
    const begun = performance.now();
    // the peers first: a first build takes minutes, and is better done before the servers start
    const peerMethods = args.drift
      ? [...PEER_METHODS]
      : args.scale
        ? PEER_METHODS.filter((m) => args.scaleMethods.includes(m))
        : args.methods.filter((m): m is PeerMethod => (PEER_METHODS as Method[]).includes(m));
    const peers: Peers = peerMethods.length ? await findPeers(peerMethods, log) : {};
    let t0 = performance.now();
    log("starting Keystone + Glance on 127.0.0.1 (member quota unlimited)...");
    openstack = await startOpenStack({ memberQuota: -1 });
    log(`OpenStack up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (args.drift) {
      const results = await runDrift({ rig: openstack, peers, only: args.scenarios, log: (l) => log(`drift ${l}`) });
      console.log(formatDriftTable(results));
      writeDrift(results, path.resolve(args.table), path.resolve(args.out));
      log(
        `drift table written to ${path.resolve(args.table)}, results to ${path.resolve(args.out)} (${((performance.now() - begun) / 1000).toFixed(0)} s in all)`,
      );
      const harnessErrors = results.rows.flatMap((r) => Object.values(r.cells)).filter((c) => c?.notMeasured?.startsWith("harness error"));
      return harnessErrors.length ? 1 : 0;
    }
    t0 = performance.now();
    bench = await setupBench(openstack);
    log(
      `proxies ${bench.keystone.url} (keystone), ${bench.glance.url} (glance); program dir ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (args.scale) {
      const results = await runScale(bench, {
        sizes: args.sizes,
        layouts: args.layouts,
        methods: args.scaleMethods,
        runs: args.runs,
        timeLimitMs: args.timeLimitS * 1000,
        operations: args.operations,
        peers,
        log: (l) => log(`scale ${l}`),
      });
      console.log(formatScale(results));
      const files = { json: path.resolve(args.out), table: path.resolve(args.table), chart: path.resolve(args.chart) };
      writeScale(results, files);
      log(
        `results written to ${files.json}, the table to ${files.table}, the chart to ${files.chart} (${((performance.now() - begun) / 1000).toFixed(0)} s in all)`,
      );
      return 0;
    }
    const results = await runBenchmark(bench, { ...args, peers, log });
    const report = formatReport(results);
    console.log(report);
    const out = path.resolve(args.out);
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${out} (${((performance.now() - begun) / 1000).toFixed(0)} s in all)`);
    if (results.economy.some((c) => !c.pass)) return 1;
    if (args.strict && results.floors.some((f) => !f.pass)) return 2;
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`failed: ${e instanceof UsageError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
