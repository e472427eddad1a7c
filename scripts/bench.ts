// `npm run bench`: requests and time per membership through the real Pulumi CLI, against raw
// keep-alive HTTP and an openstacksdk loop, beside a no-op dynamic provider through the same CLI
// commands, on a local Keystone + Glance this script starts itself (member quota lifted) and stops at
// the end. See scripts/bench/benchmark.ts for what is measured.
//
// `npm run bench` builds dist/ (the package is packed from it, as users get it) and runs this file
// through scripts/bench/run.js (a plain transpile hook; see there why not ts-node).
//
//   npm run bench                                   N = 50 members, 1 run (a quick look)
//   npm run bench -- --members 200 --runs 3
//   npm run bench -- --members 1000 --runs 1        what the file backend's checkpoints cost at scale
//   npm run bench -- --out /tmp/bench.json --methods provider,raw
//
// Prints one table plus ECONOMY and floor PASS/FAIL lines, and writes the same figures as JSON
// (default ./bench-results.json). Exit code: 0; 1 when it failed or a request-economy check failed;
// 2 when a floor failed and --strict was given (floors are timing: a busy machine can miss them).
import * as fs from "node:fs";
import * as path from "node:path";
import { startOpenStack, type OpenStack } from "../harness/openstack";
import { formatReport, METHODS, runBenchmark, setupBench, stopRunningCommand, type BenchSetup, type Method } from "./bench/benchmark";

const USAGE = `usage: npm run bench -- [--members N] [--runs R] [--out FILE] [--concurrency C] [--parallel P]
                        [--methods provider,noop,raw,openstacksdk] [--skip-checkpoints] [--strict]
  --members N      members of one image (default 50)
  --runs R         runs, medians over them (default 1)
  --out FILE       where the JSON goes (default ./bench-results.json)
  --concurrency C  raw HTTP requests in flight, and the CLI's --parallel (default 10)
  --parallel P     the CLI's --parallel, when it should differ from C
  --methods LIST   which methods to run (default all)
  --skip-checkpoints  every CLI command with PULUMI_SKIP_CHECKPOINTS=true: the file backend writes
                   the state once per command instead of after every step (a comparison)
  --strict         exit 2 when a performance floor fails`;

class UsageError extends Error {}

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
}

function parseArgs(argv: string[]): Args {
  const args: Args = { members: 50, runs: 1, out: "bench-results.json", concurrency: 10, methods: METHODS, skipCheckpoints: false, strict: false };
  const int = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a positive integer, not ${v ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--members": args.members = int(flag, value()); break;
      case "--runs": args.runs = int(flag, value()); break;
      case "--concurrency": args.concurrency = int(flag, value()); break;
      case "--parallel": args.parallel = int(flag, value()); break;
      case "--out": {
        const v = value();
        if (!v) throw new UsageError("--out needs a file name");
        args.out = v;
        break;
      }
      case "--methods": {
        const list = (value() ?? "").split(",").filter(Boolean);
        const bad = list.filter((m) => !(METHODS as string[]).includes(m));
        if (!list.length || bad.length) throw new UsageError(`--methods takes a comma-separated subset of ${METHODS.join(",")}`);
        args.methods = list as Method[];
        break;
      }
      case "--skip-checkpoints": args.skipCheckpoints = true; break;
      case "--strict": args.strict = true; break;
      case "-h":
      case "--help":
        console.log(USAGE);
        process.exit(0);
      // falls through (unreachable)
      default:
        throw new UsageError(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
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
    let t0 = performance.now();
    log("starting Keystone + Glance on 127.0.0.1 (member quota unlimited)...");
    openstack = await startOpenStack({ memberQuota: -1 });
    log(`OpenStack up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    bench = await setupBench(openstack);
    log(`proxies ${bench.keystone.url} (keystone), ${bench.glance.url} (glance); program dir ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const results = await runBenchmark(bench, { ...args, log });
    const report = formatReport(results);
    console.log(report);
    const out = path.resolve(args.out);
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${out}`);
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
