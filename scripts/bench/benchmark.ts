// The benchmark's functions: requests and time per membership through the real plugin host, against
// raw keep-alive HTTP and an openstacksdk loop, all behind the same counting proxies.
//
//   const os = await startOpenStack({ memberQuota: -1 });
//   const bench = await setupBench(os);                 // proxies, clouds.yaml copy, program dir
//   try { const results = await runBenchmark(bench, { members: 200, runs: 3 }); console.log(formatReport(results)); }
//   finally { await bench.close(); await os.stop(); }
//
// Per run, each method gets a fresh shared image and N fresh member ids (Glance does not check them
// against Keystone), and goes create → refresh → delete:
//   provider      Engine.up of a program with N ImageMember resources (parallel 10 engine steps),
//                 Engine.refresh({ previewOnly, expectNoChanges }), Engine.destroy(); timed from the
//                 first Create / Read / Delete call to the last answer, the whole command separately;
//   raw HTTP      node:http, one keep-alive agent, one token, 10 requests in flight: POSTs, one GET
//                 per member, DELETEs;
//   openstacksdk  Debian's python3-openstacksdk, one process: add_member / get_member / remove_member loops.
// The order of the methods rotates from run to run; ratios are computed within a run.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { Engine } from "../../test/engine/engine";
import { createProgramDir, projectPackage, type ProgramDir } from "../../harness/programs";
import { createImage, deleteImage, listMembersRaw, session } from "../../harness/images";
import { beginProbe, endProbe, windowMs, type ProbeRecord } from "./probe";
import { addCounts, CountingProxy, REQUEST_KINDS, type RequestCounts, type RequestKind } from "../../harness/counting-proxy";
import { rawCreate, rawDelete, rawGet } from "./raw";

type Pkg = typeof import("pulumi-image-members");
const IMAGE_MEMBER = "pulumi-nodejs:dynamic/glance:ImageMember";

export const PYTHON = "/usr/bin/python3";
export const SDK_HELPER = path.resolve(__dirname, "..", "bench-openstacksdk.py");

/** What the benchmark needs of a running OpenStack (test/support/openstack.ts `OpenStack` fits). */
export interface Cloud {
  /** clouds.yaml with a `producer` entry: the servers themselves (used for setup, not counted). */
  cloudsFile: string;
  /** Keystone v3 URL, e.g. http://127.0.0.1:5000/v3 */
  authUrl: string;
  /** Glance root URL. */
  imageUrl: string;
}

export type Method = "provider" | "raw" | "openstacksdk";
export type Operation = "create" | "refresh" | "delete";
export const METHODS: Method[] = ["provider", "raw", "openstacksdk"];
export const OPERATIONS: Operation[] = ["create", "refresh", "delete"];

export interface BenchOptions {
  /** Members of one image (default 200). */
  members?: number;
  /** Runs; medians are taken over them (default 3). */
  runs?: number;
  /** Raw HTTP requests in flight (default 10). */
  concurrency?: number;
  /** The engine's `--parallel` (default 10). */
  parallel?: number;
  /** Methods to run (default all three). */
  methods?: Method[];
  /** The clouds.yaml entry that owns the images (default "producer"). */
  cloud?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface PhaseResult {
  /** The timed part, ms: provider = first RPC call → last answer; raw and openstacksdk = the loop. */
  ms: number;
  /** Provider: the whole engine command (plugin start, program, steps), ms. openstacksdk: connect, ms (create only). */
  commandMs?: number;
  /** Provider: spawn → configured, ms (summed over the command's plugin processes). */
  pluginStartMs?: number;
  /** Provider: plugin processes the command started. */
  pluginProcesses?: number;
  /** Provider: largest VmHWM of the command's plugin processes, kB. */
  peakRssKb?: number;
  /** Provider: CPU time of the command's plugin processes (user + system), ms. */
  pluginCpuMs?: number;
  /** CPU time of this process (the engine emulator and the proxies; raw HTTP: the client and the proxies) during the phase, ms. */
  harnessCpuMs?: number;
  /** Provider: RPC calls of the timed kind (Create, Read or Delete). */
  calls?: number;
  /** Requests counted at the proxies during the phase (openstacksdk's create includes its connect). */
  requests: RequestCounts;
}

export type RunResult = { run: number; order: Method[] } & Partial<Record<Method, Record<Operation, PhaseResult>>>;

export interface Check {
  name: string;
  expected: number | string;
  actual: number | string;
  pass: boolean;
}

export interface Row {
  operation: Operation;
  method: Method;
  /** "window": the timed part; "command": the provider's whole engine command. */
  timing: "window" | "command";
  label: string;
  medianMs: number;
  msPerMember: number;
  membersPerSecond: number;
  /** Median over runs of (raw time / this time) within the same run: 1 = as fast as raw HTTP. */
  throughputVsRaw?: number;
  /** Median per kind over runs. */
  requests: Record<RequestKind | "failed", number>;
  peakRssMb?: number;
  pluginStartMs?: number;
  /** Medians, ms per member: the plugin processes' CPU, and this process's (engine emulator or raw client, plus the proxies). */
  pluginCpuMsPerMember?: number;
  harnessCpuMsPerMember?: number;
}

export interface BenchResults {
  meta: {
    members: number;
    runs: number;
    concurrency: number;
    parallel: number;
    methods: Method[];
    startedAt: string;
    node: string;
    openstacksdk?: string;
    cpus: number;
    loadavg: number[];
    /** Plugin processes per command and credential sets used: the token budget. */
    credentialSets: number;
  };
  setup: { programDirMs: number; packageBuildMs: number };
  runs: RunResult[];
  rows: Row[];
  /** Request economy (README "Guarantees", few requests): asserted by the CLI and the test. */
  economy: Check[];
  /** Performance floors: reported as PASS/FAIL, never asserted in timed tests. */
  floors: Check[];
}

export interface BenchSetup {
  cloud: Cloud;
  keystone: CountingProxy;
  glance: CountingProxy;
  /** A clouds.yaml copy whose auth_url and image_endpoint_override point at the proxies (0600, temp dir). */
  proxiedCloudsFile: string;
  program: ProgramDir;
  programDirMs: number;
  /** All counts since the last take, both proxies. */
  take(): RequestCounts;
  close(): Promise<void>;
}

/** Starts the proxies, writes the proxied clouds.yaml and prepares the program directory (npm pack + install, cached). */
export async function setupBench(cloud: Cloud): Promise<BenchSetup> {
  const keystone = await CountingProxy.start("keystone", new URL(cloud.authUrl).origin);
  const glance = await CountingProxy.start("glance", cloud.imageUrl);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-clouds-"));
  const proxiedCloudsFile = path.join(dir, "clouds.yaml");
  const doc = parseYaml(fs.readFileSync(cloud.cloudsFile, "utf8")) as { clouds: Record<string, Record<string, unknown>> };
  for (const entry of Object.values(doc.clouds)) {
    const auth = entry.auth as Record<string, unknown>;
    auth.auth_url = `${keystone.url}/v3`;
    entry.image_endpoint_override = glance.url;
  }
  fs.writeFileSync(proxiedCloudsFile, stringifyYaml(doc), { mode: 0o600 });
  const t0 = performance.now();
  let program: ProgramDir;
  try {
    program = await createProgramDir(projectPackage(), { label: "bench" });
  } catch (e) {
    await Promise.all([keystone.close(), glance.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const programDirMs = performance.now() - t0;
  return {
    cloud,
    keystone,
    glance,
    proxiedCloudsFile,
    program,
    programDirMs,
    take: () => addCounts(keystone.take(), glance.take()),
    async close() {
      program.remove();
      fs.rmSync(dir, { recursive: true, force: true }); // it holds passwords
      await Promise.all([keystone.close(), glance.close()]);
    },
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const memberIds = (n: number) => Array.from({ length: n }, () => randomUUID().replace(/-/g, ""));

async function memberCount(cloudsFile: string, entry: string, imageId: string): Promise<number> {
  const r = await listMembersRaw(cloudsFile, entry, imageId);
  if (r.status !== 200) throw new Error(`listing the members of ${imageId} answered ${r.status}`);
  return (r.body.members as unknown[]).length;
}

async function expectMembers(bench: BenchSetup, entry: string, imageId: string, want: number, what: string): Promise<void> {
  const have = await memberCount(bench.cloud.cloudsFile, entry, imageId);
  if (have !== want) throw new Error(`${what}: image ${imageId} has ${have} members, expected ${want}`);
}

// --- the three methods ---------------------------------------------------------------------------

/** CPU time this process used since `since` (process.cpuUsage()), ms. */
const cpuSince = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

function providerPhase(
  rec: ProbeRecord,
  kind: "create" | "read" | "delete",
  commandMs: number,
  requests: RequestCounts,
  pluginPids: number[],
  cpu: NodeJS.CpuUsage,
): PhaseResult {
  const harnessCpuMs = cpuSince(cpu);
  const w = rec.rpc[kind];
  const ms = windowMs(w);
  if (ms === undefined) throw new Error(`no ${kind} call was made through the plugin`);
  if (w.failures) throw new Error(`${w.failures} ${kind} call(s) failed`);
  const rss = rec.plugins.map((p) => p.peakRssKb).filter((x): x is number => x !== undefined);
  const pluginCpu = rec.plugins.map((p) => p.cpuMs).filter((x): x is number => x !== undefined);
  return {
    ms,
    commandMs,
    pluginStartMs: rec.plugins.reduce((s, p) => s + p.startMs, 0),
    pluginProcesses: pluginPids.length,
    ...(rss.length ? { peakRssKb: Math.max(...rss) } : {}),
    ...(pluginCpu.length ? { pluginCpuMs: pluginCpu.reduce((a, b) => a + b, 0) } : {}),
    harnessCpuMs,
    calls: w.calls,
    requests,
  };
}

async function runProvider(bench: BenchSetup, o: Required<BenchOptions>, run: number, imageId: string, members: string[]): Promise<Record<Operation, PhaseResult>> {
  const workDir = path.join(bench.program.dir, `.state-${run}-${randomUUID().slice(0, 8)}`);
  const eng = new Engine<Pkg>({
    programDir: bench.program,
    workDir,
    parallel: o.parallel,
    env: { OS_CLIENT_CONFIG_FILE: bench.proxiedCloudsFile, OS_CLOUD: undefined },
  });
  const program = (pkg: Pkg) => {
    members.forEach((memberId, i) => new pkg.ImageMember(`member-${i}`, { imageId, memberId, cloud: o.cloud }));
  };
  try {
    bench.take();
    beginProbe();
    let cpu = process.cpuUsage();
    let t0 = performance.now();
    const up = await eng.up(program);
    const upMs = performance.now() - t0;
    const create = providerPhase(endProbe(), "create", upMs, bench.take(), up.pluginPids, cpu);
    const createdSteps = up.steps.filter((x) => x.op === "create" && x.type === IMAGE_MEMBER).length;
    if (createdSteps !== members.length) throw new Error(`up created ${createdSteps} image members, expected ${members.length}`);
    await expectMembers(bench, o.cloud, imageId, members.length, "after up");

    beginProbe();
    cpu = process.cpuUsage();
    t0 = performance.now();
    const refresh = await eng.refresh({ previewOnly: true, expectNoChanges: true });
    const refreshMs = performance.now() - t0;
    const refreshed = providerPhase(endProbe(), "read", refreshMs, bench.take(), refresh.pluginPids, cpu);
    if (refreshed.calls !== members.length) throw new Error(`refresh read ${refreshed.calls} resources, expected ${members.length}`);

    beginProbe();
    cpu = process.cpuUsage();
    t0 = performance.now();
    const destroy = await eng.destroy();
    const destroyMs = performance.now() - t0;
    const deleted = providerPhase(endProbe(), "delete", destroyMs, bench.take(), destroy.pluginPids, cpu);
    const deletedSteps = destroy.steps.filter((x) => x.op === "delete" && x.type === IMAGE_MEMBER).length;
    if (deletedSteps !== members.length) throw new Error(`destroy deleted ${deletedSteps} image members, expected ${members.length}`);
    await expectMembers(bench, o.cloud, imageId, 0, "after destroy");
    return { create, refresh: refreshed, delete: deleted };
  } finally {
    endProbe();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

async function runRaw(bench: BenchSetup, o: Required<BenchOptions>, imageId: string, members: string[]): Promise<Record<Operation, PhaseResult>> {
  bench.take();
  // one token for the whole loop, fetched through the proxy (counted in the create phase)
  const s = await session(bench.proxiedCloudsFile, o.cloud, true);
  const target = { imageUrl: s.imageUrl, token: s.token };
  let cpu = process.cpuUsage();
  const created = await rawCreate(target, imageId, members, o.concurrency);
  const create: PhaseResult = { ms: created.ms, harnessCpuMs: cpuSince(cpu), requests: bench.take() };
  await expectMembers(bench, o.cloud, imageId, members.length, "after raw POSTs");
  cpu = process.cpuUsage();
  const got = await rawGet(target, imageId, members, o.concurrency);
  const refresh: PhaseResult = { ms: got.ms, harnessCpuMs: cpuSince(cpu), requests: bench.take() };
  cpu = process.cpuUsage();
  const deleted = await rawDelete(target, imageId, members, o.concurrency);
  const del: PhaseResult = { ms: deleted.ms, harnessCpuMs: cpuSince(cpu), requests: bench.take() };
  await expectMembers(bench, o.cloud, imageId, 0, "after raw DELETEs");
  return { create, refresh, delete: del };
}

/** One openstacksdk process (scripts/bench-openstacksdk.py) for one image, phase by phase. */
class SdkProcess {
  private readonly lines: AsyncIterator<string>;
  private stderr = "";

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static start(cloudsFile: string): SdkProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: cloudsFile, no_proxy: "127.0.0.1,localhost", NO_PROXY: "127.0.0.1,localhost" };
    delete env.OS_CLOUD;
    delete env.PYTHONPATH;
    const child = spawn(PYTHON, [SDK_HELPER], { env, stdio: ["pipe", "pipe", "pipe"] });
    return new SdkProcess(child);
  }

  async send(message: unknown): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error(`openstacksdk helper exited (${this.child.exitCode}):\n${this.stderr}`);
    const answer = JSON.parse(next.value) as Record<string, unknown>;
    if (answer.error) throw new Error(`openstacksdk helper, phase ${String(answer.phase)}: ${String(answer.error)}`);
    return answer;
  }

  async quit(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.stdin.end(`${JSON.stringify("quit")}\n`);
      await new Promise((r) => this.child.once("exit", r));
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

async function runOpenStackSdk(
  bench: BenchSetup,
  o: Required<BenchOptions>,
  imageId: string,
  members: string[],
  meta: BenchResults["meta"],
): Promise<Record<Operation, PhaseResult>> {
  bench.take();
  const sdk = SdkProcess.start(bench.proxiedCloudsFile);
  try {
    // first line: the job; the answer is the connect phase (import, auth, version discovery)
    const connect = await sdk.send({ cloud: o.cloud, image: imageId, members });
    meta.openstacksdk = String(connect.openstacksdk);
    const phase = async (name: Operation): Promise<PhaseResult> => {
      const answer = await sdk.send(name);
      return { ms: Number(answer.seconds) * 1000, requests: bench.take() };
    };
    const create = await phase("create");
    create.commandMs = Number(connect.seconds) * 1000;
    await expectMembers(bench, o.cloud, imageId, members.length, "after openstacksdk add_member");
    const refresh = await phase("refresh");
    const del = await phase("delete");
    await expectMembers(bench, o.cloud, imageId, 0, "after openstacksdk remove_member");
    await sdk.quit();
    return { create, refresh, delete: del };
  } finally {
    sdk.kill();
  }
}

// --- the benchmark -------------------------------------------------------------------------------

export async function runBenchmark(bench: BenchSetup, options: BenchOptions = {}): Promise<BenchResults> {
  const o: Required<BenchOptions> = {
    members: options.members ?? 200,
    runs: options.runs ?? 3,
    concurrency: options.concurrency ?? 10,
    parallel: options.parallel ?? 10,
    methods: options.methods ?? METHODS,
    cloud: options.cloud ?? "producer",
    log: options.log ?? (() => {}),
  };
  if (!Number.isInteger(o.members) || o.members < 1) throw new Error(`members must be a positive integer, not ${o.members}`);
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error(`runs must be a positive integer, not ${o.runs}`);
  const meta: BenchResults["meta"] = {
    members: o.members,
    runs: o.runs,
    concurrency: o.concurrency,
    parallel: o.parallel,
    methods: o.methods,
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    loadavg: os.loadavg(),
    credentialSets: 1,
  };
  const runs: RunResult[] = [];
  for (let run = 1; run <= o.runs; run++) {
    // rotate the order so no method always runs first (or right after another's deletes)
    const order = o.methods.map((_, i) => o.methods[(i + run - 1) % o.methods.length]);
    const result: RunResult = { run, order };
    for (const method of order) {
      const imageId = await createImage(bench.cloud.cloudsFile, o.cloud, { visibility: "shared", name: `bench-${method}-${run}` });
      const members = memberIds(o.members);
      const t0 = performance.now();
      try {
        if (method === "provider") result.provider = await runProvider(bench, o, run, imageId, members);
        else if (method === "raw") result.raw = await runRaw(bench, o, imageId, members);
        else result.openstacksdk = await runOpenStackSdk(bench, o, imageId, members, meta);
      } finally {
        await deleteImage(bench.cloud.cloudsFile, o.cloud, imageId);
      }
      const r = result[method]!;
      o.log(
        `run ${run}/${o.runs} ${method.padEnd(12)} create ${(r.create.ms / 1000).toFixed(2)} s, refresh ${(r.refresh.ms / 1000).toFixed(2)} s, ` +
          `delete ${(r.delete.ms / 1000).toFixed(2)} s (${((performance.now() - t0) / 1000).toFixed(1)} s in all)`,
      );
    }
    runs.push(result);
  }
  const results: BenchResults = {
    meta,
    setup: { programDirMs: bench.programDirMs, packageBuildMs: bench.program.template.buildMs },
    runs,
    rows: summarize(runs, o),
    economy: [],
    floors: [],
  };
  results.economy = economyChecks(results);
  results.floors = floorChecks(results);
  return results;
}

const LABELS: Record<Method, string> = {
  provider: "provider (plugin host)",
  raw: "raw HTTP",
  openstacksdk: "openstacksdk loop",
};

function summarize(runs: RunResult[], o: Required<BenchOptions>): Row[] {
  const rows: Row[] = [];
  for (const operation of OPERATIONS) {
    for (const method of o.methods) {
      const timings: Row["timing"][] = method === "provider" ? ["window", "command"] : ["window"];
      for (const timing of timings) {
        const phases = runs.map((r) => r[method]?.[operation]).filter((p): p is PhaseResult => p !== undefined);
        if (!phases.length) continue;
        const time = (p: PhaseResult) => (timing === "command" ? p.commandMs ?? p.ms : p.ms);
        const medianMs = median(phases.map(time));
        const ratios = runs
          .map((r) => {
            const mine = r[method]?.[operation];
            const raw = r.raw?.[operation];
            return mine && raw ? raw.ms / time(mine) : undefined;
          })
          .filter((x): x is number => x !== undefined);
        const requests = Object.fromEntries(
          [...REQUEST_KINDS, "failed" as const].map((k) => [k, median(phases.map((p) => p.requests[k]))]),
        ) as Row["requests"];
        const rss = phases.map((p) => p.peakRssKb).filter((x): x is number => x !== undefined);
        const starts = phases.map((p) => p.pluginStartMs).filter((x): x is number => x !== undefined);
        const pluginCpu = phases.map((p) => p.pluginCpuMs).filter((x): x is number => x !== undefined);
        const harnessCpu = phases.map((p) => p.harnessCpuMs).filter((x): x is number => x !== undefined);
        const what = {
          provider: timing === "window" ? `${{ create: "Create", refresh: "Read", delete: "Delete" }[operation]} calls` : `whole ${{ create: "up", refresh: "refresh", delete: "destroy" }[operation]}`,
          raw: `${{ create: "POST", refresh: "GET one", delete: "DELETE" }[operation]}, ${o.concurrency} in flight`,
          openstacksdk: { create: "add_member", refresh: "get_member", delete: "remove_member" }[operation],
        }[method];
        rows.push({
          operation,
          method,
          timing,
          label: `${LABELS[method]}: ${what}`,
          medianMs,
          msPerMember: medianMs / o.members,
          membersPerSecond: o.members / (medianMs / 1000),
          ...(ratios.length ? { throughputVsRaw: median(ratios) } : {}),
          requests,
          ...(rss.length ? { peakRssMb: Math.max(...rss) / 1024 } : {}),
          ...(starts.length && timing === "command" ? { pluginStartMs: median(starts) } : {}),
          ...(pluginCpu.length && timing === "window" ? { pluginCpuMsPerMember: median(pluginCpu) / o.members } : {}),
          ...(harnessCpu.length && timing === "window" ? { harnessCpuMsPerMember: median(harnessCpu) / o.members } : {}),
        });
      }
    }
  }
  return rows;
}

/** README "Guarantees" (few requests): the provider's requests, whatever N and the parallelism. */
export function economyChecks(results: BenchResults): Check[] {
  const checks: Check[] = [];
  const n = results.meta.members;
  const check = (name: string, expected: number, actual: number) => checks.push({ name, expected, actual, pass: expected === actual });
  for (const r of results.runs) {
    const p = r.provider;
    if (!p) continue;
    const tag = `run ${r.run}`;
    for (const op of OPERATIONS) {
      const phase = p[op];
      const processes = phase.pluginProcesses ?? 0;
      check(`${tag} ${op}: token requests = 1 per credential set per plugin process (${processes} process(es))`, results.meta.credentialSets * processes, phase.requests.token);
      check(`${tag} ${op}: failed requests`, 0, phase.requests.failed);
    }
    check(`${tag} create: one POST per member`, n, p.create.requests.post);
    check(`${tag} create: no other member requests`, 0, p.create.requests.getOne + p.create.requests.getList + p.create.requests.put + p.create.requests.delete);
    check(`${tag} refresh: one list request for ${n} members of one image`, 1, p.refresh.requests.getList);
    check(`${tag} refresh: no single-member GETs`, 0, p.refresh.requests.getOne);
    check(`${tag} refresh: no writes`, 0, p.refresh.requests.post + p.refresh.requests.put + p.refresh.requests.delete);
    check(`${tag} delete: one DELETE per member`, n, p.delete.requests.delete);
    check(`${tag} delete: no other member requests`, 0, p.delete.requests.post + p.delete.requests.getOne + p.delete.requests.getList + p.delete.requests.put);
  }
  return checks;
}

export const FLOOR_THROUGHPUT = 0.8;
export const FLOOR_RSS_MB = 200;
export const FLOOR_RSS_AT = 1000;

export function floorChecks(results: BenchResults): Check[] {
  const floors: Check[] = [];
  const create = results.rows.find((r) => r.operation === "create" && r.method === "provider" && r.timing === "window");
  if (create?.throughputVsRaw !== undefined) {
    floors.push({
      name: `create throughput >= ${FLOOR_THROUGHPUT}x raw HTTP at the same concurrency (${results.meta.parallel} steps vs ${results.meta.concurrency} in flight)`,
      expected: `>= ${FLOOR_THROUGHPUT}`,
      actual: Number(create.throughputVsRaw.toFixed(3)),
      pass: create.throughputVsRaw >= FLOOR_THROUGHPUT,
    });
  }
  const rss = results.rows.filter((r) => r.method === "provider" && r.peakRssMb !== undefined).map((r) => r.peakRssMb!);
  if (rss.length) {
    const peak = Math.max(...rss);
    const at = results.meta.members;
    floors.push({
      name: `plugin peak RSS < ${FLOOR_RSS_MB} MB at N = ${FLOOR_RSS_AT}` + (at === FLOOR_RSS_AT ? "" : ` (measured at N = ${at}; run --members ${FLOOR_RSS_AT} for the floor itself)`),
      expected: `< ${FLOOR_RSS_MB}`,
      actual: Number(peak.toFixed(1)),
      pass: peak < FLOOR_RSS_MB,
    });
  }
  return floors;
}

// --- output --------------------------------------------------------------------------------------

const fmt = (x: number | undefined, digits: number) => (x === undefined ? "" : x.toFixed(digits));

/** The table, the notes and the PASS/FAIL lines. */
export function formatReport(results: BenchResults): string {
  const { meta } = results;
  const head = [
    "operation", "method", "median s", "ms/member", "members/s", "thpt/raw",
    "token", "POST", "GET1", "GETlist", "PUT", "DELETE", "other", "failed", "plugin RSS MB",
  ];
  const body = results.rows.map((r) => [
    r.operation,
    r.label,
    fmt(r.medianMs / 1000, 3),
    fmt(r.msPerMember, 2),
    fmt(r.membersPerSecond, 1),
    r.throughputVsRaw === undefined ? "" : `${r.throughputVsRaw.toFixed(2)}x`,
    ...(["token", "post", "getOne", "getList", "put", "delete", "other", "failed"] as const).map((k) => String(r.requests[k])),
    fmt(r.peakRssMb, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const left = new Set([0, 1]);
  const line = (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  const out: string[] = [];
  out.push(
    `N = ${meta.members} members of one image, ${meta.runs} run(s), medians; engine --parallel ${meta.parallel}, raw HTTP ${meta.concurrency} in flight; ` +
      `node ${meta.node}${meta.openstacksdk ? `, openstacksdk ${meta.openstacksdk}` : ""}, ${meta.cpus} CPUs, load ${meta.loadavg.map((x) => x.toFixed(2)).join(" ")}`,
  );
  out.push(line(head));
  out.push(widths.map((w) => "-".repeat(w)).join("  "));
  let previous: string | undefined;
  for (const [i, row] of body.entries()) {
    if (previous !== undefined && results.rows[i].operation !== previous) out.push("");
    previous = results.rows[i].operation;
    out.push(line(row));
  }
  out.push("");
  out.push(
    "Timed: provider = first Create/Read/Delete RPC to the last answer (\"whole\" = the engine command: plugin start, program, steps); " +
      "raw and openstacksdk = the request loop. thpt/raw = raw time / this time, per run, median. Requests counted at the proxies " +
      "(openstacksdk's create includes its connect: token + version discovery).",
  );
  const starts = results.rows.filter((r) => r.pluginStartMs !== undefined);
  if (starts.length) {
    out.push(`Plugin start (spawn to configured), median: ${starts.map((r) => `${r.operation} ${fmt(r.pluginStartMs! / 1000, 2)} s`).join(", ")}.`);
  }
  const cpuRows = results.rows.filter((r) => r.harnessCpuMsPerMember !== undefined);
  if (cpuRows.length) {
    out.push(
      "CPU per member, median (2 shared cores: client CPU is taken from Glance): " +
        OPERATIONS.map((op) => {
          const parts = cpuRows
            .filter((r) => r.operation === op)
            .map((r) =>
              r.method === "provider"
                ? `plugin ${fmt(r.pluginCpuMsPerMember, 2)} ms + engine emulator & proxies ${fmt(r.harnessCpuMsPerMember, 2)} ms`
                : `${r.method} client & proxies ${fmt(r.harnessCpuMsPerMember, 2)} ms`,
            );
          return `${op}: ${parts.join(", ")}`;
        }).join("; ") + ".",
    );
  }
  if (results.setup.packageBuildMs) out.push(`Package packed and installed for the program directory in ${fmt(results.setup.packageBuildMs / 1000, 1)} s (not timed above).`);
  out.push("");
  const failedEconomy = results.economy.filter((c) => !c.pass);
  out.push(
    failedEconomy.length
      ? failedEconomy.map((c) => `ECONOMY FAIL: ${c.name}: expected ${c.expected}, got ${c.actual}`).join("\n")
      : `ECONOMY PASS: ${results.economy.length} request-count checks (1 token per credential set per plugin process, N POSTs, 1 list GET for refresh, N DELETEs)`,
  );
  for (const f of results.floors) out.push(`${f.pass ? "PASS" : "FAIL"}: ${f.name}: ${f.actual}`);
  return out.join("\n");
}
