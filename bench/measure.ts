// The benchmark's functions: N members of one image through the real Pulumi CLI, against raw
// keep-alive HTTP and an openstacksdk loop, all behind the same counting proxies, and a no-op dynamic
// provider through the same CLI commands (what the CLI and the plugin host cost by themselves).
//
//   const os = await startOpenStack({ memberQuota: -1 });
//   const bench = await setupBench(os);                 // proxies, clouds.yaml copy, program dir
//   try { const results = await runBenchmark(bench, { members: 50, runs: 1 }); console.log(formatReport(results)); }
//   finally { await bench.close(); await os.stop(); }
//
// Per run, each method gets a fresh shared image and N fresh member ids (Glance does not check them
// against Keystone), and goes create → refresh → delete:
//   provider      a stack of N ImageMember resources (dev/harness/pulumi.ts: the real CLI, a file
//                 backend, the package installed from its tarball; the program bench/programs/members.js
//                 run by the CLI's Node.js language host), with --parallel = raw HTTP's requests in flight:
//                   create   pulumi up --yes --skip-preview
//                   refresh  pulumi refresh --yes --skip-preview --expect-no-changes
//                   check    pulumi preview --refresh --expect-no-changes   (the drift check)
//                   delete   pulumi destroy --yes --skip-preview
//                 timed two ways: the whole command, and the window from the first member request
//                 to the last member answer at the Glance proxy;
//   noop          the same four commands for N no-op dynamic resources (bench/noop-provider.js),
//                 then up, refresh and destroy again with PULUMI_SKIP_CHECKPOINTS=true (the file
//                 backend then writes the state once per command instead of after every step);
//   raw           node:http, one keep-alive agent, one token, C requests in flight: POSTs, one GET
//                 per member, DELETEs;
//   openstacksdk  Debian's python3-openstacksdk, one process: add_member / get_member / remove_member loops.
// With --peers (bench/peers.ts builds or finds them), the same members through the peers:
//   opentofu      N openstack_images_image_access_v2 (terraform-provider-openstack 3.4.0, OpenTofu):
//                   create   tofu apply -auto-approve
//                   refresh  tofu apply -refresh-only -auto-approve
//                   check    tofu plan -refresh-only -detailed-exitcode   (the drift check)
//                   delete   tofu destroy -auto-approve
//                 each with -parallelism = the CLI's --parallel, the provider from a filesystem mirror;
//   pulumi-openstack  N @pulumi/openstack 3.15.2 images.ImageAccess, served by the bridged
//                 pulumi-resource-openstack, through the same four CLI commands as the provider.
// Both are timed whole and at the proxy, like the provider; their requests are reported, not checked.
// Every method's window is measured at the proxy; raw and openstacksdk also report their own loop
// time. The order of the methods rotates from run to run; ratios are computed within a run.
import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import {
  addCounts,
  CountingProxy,
  memberWindowMs,
  REQUEST_KINDS,
  type RequestCounts,
  type RequestKind,
  totalRequests,
} from "../dev/harness/counting-proxy";
import { createImage, deleteImage, listMembersRaw, session } from "../dev/harness/images";
import type { ProcessSample } from "../dev/harness/processes";
import { createProgramDir, type ProgramDir, projectPackage } from "../dev/harness/programs";
import {
  type RunResult as CliResult,
  languageHosts,
  PulumiRunError,
  PulumiStack,
  pulumiCli,
  type RunOptions,
  type StackConfig,
} from "../dev/harness/pulumi";
import { programSource, useProgram, writeInputs } from "./folder-program";
import {
  bridgedPlugins,
  type OpenStackSdk,
  type Peers,
  PULUMI_OPENSTACK_VERSION,
  type PulumiOpenStackPeer,
  peersCloudsFile,
  pulumiOpenStackEnv,
  pulumiOpenStackProgramDir,
  type TofuPeer,
  tofuPlugins,
} from "./peers";
import { type CheckpointStats, cpuSince, exitedChildrenCpuMs, watchCheckpoints } from "./probe";
import { membershipsOf, rawCreate, rawDelete, rawGet } from "./raw";
import { hcl, lastLines, TofuDir, type TofuRun, tofuConfig } from "./tofu";

type Pkg = typeof import("pulumi-image-members");
const IMAGE_MEMBER = "pulumi-nodejs:dynamic/glance:ImageMember";
const NOOP = "pulumi-nodejs:dynamic/bench:Noop";
const IMAGE_ACCESS = "openstack:images/imageAccess:ImageAccess";
const NOOP_FILE = "noop-provider.js";

export const PYTHON = "/usr/bin/python3";
export const SDK_HELPER = path.join(__dirname, "openstacksdk.py");

/** What the benchmark needs of a running OpenStack (dev/harness/openstack.ts `OpenStack` fits). */
export interface Cloud {
  /** clouds.yaml with a `producer` entry: the servers themselves (used for setup, not counted). */
  cloudsFile: string;
  /** Keystone v3 URL, e.g. http://127.0.0.1:5000/v3 */
  authUrl: string;
  /** Glance root URL. */
  imageUrl: string;
}

export type Method = "provider" | "noop" | "raw" | "openstacksdk" | "opentofu" | "pulumi-openstack";
export type PeerMethod = "opentofu" | "pulumi-openstack";
export type Operation = "create" | "refresh" | "check" | "delete";
/** The default methods (the peers only with --peers). */
export const METHODS: Method[] = ["provider", "noop", "raw", "openstacksdk"];
export const PEER_METHODS: PeerMethod[] = ["opentofu", "pulumi-openstack"];
export const ALL_METHODS: Method[] = [...METHODS, ...PEER_METHODS];
export const OPERATIONS: Operation[] = ["create", "refresh", "check", "delete"];
/** The methods that run through the Pulumi CLI. */
const CLI_METHODS: Method[] = ["provider", "noop", "pulumi-openstack"];
const isPeer = (m: Method): m is PeerMethod => (PEER_METHODS as Method[]).includes(m);

/** The CLI command of each operation, as dev/harness/pulumi.ts runs it (plus --parallel). */
export const COMMANDS: Record<Operation, string> = {
  create: "pulumi up --yes --skip-preview",
  refresh: "pulumi refresh --yes --skip-preview --expect-no-changes",
  check: "pulumi preview --refresh --expect-no-changes",
  delete: "pulumi destroy --yes --skip-preview",
};

/** OpenTofu's command of each operation (plus -parallelism, -input=false, -no-color). */
export const TOFU_COMMANDS: Record<Operation, string> = {
  create: "tofu apply -auto-approve",
  refresh: "tofu apply -refresh-only -auto-approve",
  check: "tofu plan -refresh-only -detailed-exitcode",
  delete: "tofu destroy -auto-approve",
};
const TOFU_ARGS: Record<Operation, string[]> = {
  create: ["apply", "-auto-approve", "-input=false"],
  refresh: ["apply", "-refresh-only", "-auto-approve", "-input=false"],
  check: ["plan", "-refresh-only", "-detailed-exitcode", "-input=false"],
  delete: ["destroy", "-auto-approve", "-input=false"],
};

export interface BenchOptions {
  /** Members of one image (default 50). */
  members?: number;
  /** Runs; medians are taken over them (default 1). */
  runs?: number;
  /** Raw HTTP requests in flight (default 10). */
  concurrency?: number;
  /** The CLI's `--parallel` (default: `concurrency`). */
  parallel?: number;
  /** Methods to run (default all four). */
  methods?: Method[];
  /** Run every CLI command with PULUMI_SKIP_CHECKPOINTS=true (a comparison: not how users run). */
  skipCheckpoints?: boolean;
  /** The clouds.yaml entry that owns the images (default "producer"). */
  cloud?: string;
  /** The peer tools found for the peer methods (bench/peers.ts findPeers); a peer method
   *  whose tool is missing or not built is reported as not built. */
  peers?: Peers;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface PhaseResult {
  /** The command was killed at its time limit: `ms` and `commandMs` are that limit, a lower bound. */
  capped?: boolean;
  /** The timed part, ms: provider, raw, openstacksdk = first member request → last member answer at
   *  the Glance proxy; noop (no requests) = the whole CLI command. */
  ms: number;
  /** provider and noop: the whole CLI command (dev/harness/pulumi.ts: the CLI from start to exit, its
   *  language host running the program), ms. openstacksdk: connect (import excluded, auth, version discovery), create only. */
  commandMs?: number;
  /** raw and openstacksdk: the client's own loop time, ms. */
  loopMs?: number;
  /** The CLI command line. */
  command?: string;
  /** Dynamic-provider plugin processes the command started. */
  pluginProcesses?: number;
  /** CLI methods: Node.js language host processes (pulumi-language-nodejs) the command started. */
  languageHosts?: number;
  /** Largest peak RSS (VmHWM) of the command's plugin processes, kB. */
  peakRssKb?: number;
  /** CPU time of the command's plugin processes (user + system), ms. */
  pluginCpuMs?: number;
  /** CPU time of the CLI and its other children (exited children's CPU minus the plugins'): the
   *  language host and the program among them, ms. */
  cliCpuMs?: number;
  /** CPU time of this process during the phase, ms: the proxies and the harness (raw HTTP: the
   *  client and the proxies). */
  harnessCpuMs?: number;
  /** Steps of the resource type the command ran (create, refresh or delete steps). */
  steps?: number;
  /** The checkpoints the file backend wrote during the command. */
  checkpoint?: CheckpointStats;
  /** noop: the same command with PULUMI_SKIP_CHECKPOINTS=true, ms (create, refresh, delete). */
  skipCheckpointsMs?: number;
  /** Requests counted at the proxies during the phase (openstacksdk's create includes its connect). */
  requests: RequestCounts;
}

export type MethodResult = Partial<Record<Operation, PhaseResult>>;
export type RunResult = { run: number; order: Method[] } & Partial<Record<Method, MethodResult>>;

export interface Check {
  name: string;
  expected: number | string;
  actual: number | string;
  pass: boolean;
}

export interface Row {
  operation: Operation;
  method: Method;
  /** "window": first to last member request at the proxy; "command": the whole CLI command. */
  timing: "window" | "command";
  label: string;
  medianMs: number;
  msPerMember: number;
  membersPerSecond: number;
  /** Median over runs of (raw HTTP's window / this time) within the same run: 1 = as fast as raw HTTP. */
  throughputVsRaw?: number;
  /** Median per kind over runs. */
  requests: Record<RequestKind | "failed", number>;
  peakRssMb?: number;
  /** Medians, ms per member: the plugin processes' CPU, and this process's (the proxies, and the raw client). */
  pluginCpuMsPerMember?: number;
  harnessCpuMsPerMember?: number;
  /** Median, ms per member: the CLI's CPU (its children but the plugins included: the language host and the program). */
  cliCpuMsPerMember?: number;
  /** The CLI command line (CLI methods). */
  command?: string;
  /** Most plugin processes one run's command started. */
  pluginProcesses?: number;
  /** Medians: checkpoints written, the stack file's size after the command, ≈ bytes written to it. */
  checkpointWrites?: number;
  checkpointBytes?: number;
  checkpointBytesWritten?: number;
  /** noop: median of the same command with PULUMI_SKIP_CHECKPOINTS=true, ms. */
  skipCheckpointsMs?: number;
  /** A peer that was not measured: "not built: <reason>" or "failed: <error>" (the figures are then NaN). */
  notMeasured?: string;
}

export interface BenchResults {
  meta: {
    members: number;
    runs: number;
    concurrency: number;
    parallel: number;
    methods: Method[];
    /** Every CLI command ran with PULUMI_SKIP_CHECKPOINTS=true. */
    skipCheckpoints: boolean;
    startedAt: string;
    node: string;
    pulumi?: string;
    openstacksdk?: string;
    cpus: number;
    /** Load average when the benchmark started, and when it ended. */
    loadavg: number[];
    loadavgEnd?: number[];
    /** Credential sets the provider's stack uses: the token budget per plugin process. */
    credentialSets: number;
    commands: Record<Operation, string>;
    /** The peers asked for: versions, or why they were not measured. */
    peers?: Partial<
      Record<PeerMethod, { built: boolean; version?: string; reason?: string; failed?: string; commands?: Record<Operation, string> }>
    >;
  };
  setup: { programDirMs: number; packageBuildMs: number };
  runs: RunResult[];
  rows: Row[];
  /** Request economy (docs/guarantees.md, few requests): asserted by the CLI and the test. */
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
  /** The same for the peers (gophercloud wants a domain by name or by id, not both: peers.ts). */
  peersCloudsFile: string;
  /** The program directory (package installed from its tarball, the no-op provider copied in). */
  program: ProgramDir;
  programDirMs: number;
  /** All counts since the last take, both proxies. */
  take(): RequestCounts;
  close(): Promise<void>;
}

/** Starts the proxies, writes the proxied clouds.yaml and prepares the program directory (npm pack + install, cached). */
export async function setupBench(cloud: Cloud): Promise<BenchSetup> {
  pulumiCli(); // finds or builds the CLI first (progress on stderr), outside every timing
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
    program = await createProgramDir(projectPackage(), {
      label: "bench",
      project: "bench",
      // as the bridged peer's program folder is: nothing resolves from this repository
      outsideRepository: true,
      // the folder's program (bench/programs/members.js; inputs per stack) and the no-op provider it loads
      files: { "index.js": programSource("members.js"), [NOOP_FILE]: fs.readFileSync(path.join(__dirname, NOOP_FILE), "utf8") },
    });
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
    peersCloudsFile: peersCloudsFile(proxiedCloudsFile),
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

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const memberIds = (n: number) => Array.from({ length: n }, () => randomUUID().replace(/-/g, ""));

async function memberCount(cloudsFile: string, entry: string, imageId: string): Promise<number> {
  const r = await listMembersRaw(cloudsFile, entry, imageId);
  if (r.status !== 200) throw new Error(`listing the members of ${imageId} answered ${r.status}`);
  return (r.body.members as unknown[]).length;
}

export async function expectMembers(bench: BenchSetup, entry: string, imageId: string, want: number, what: string): Promise<void> {
  const have = await memberCount(bench.cloud.cloudsFile, entry, imageId);
  if (have !== want) throw new Error(`${what}: image ${imageId} has ${have} members, expected ${want}`);
}

/** The proxy window of a phase, or an error naming what sent nothing. */
function windowOf(requests: RequestCounts, what: string): number {
  const ms = memberWindowMs(requests);
  if (ms === undefined) throw new Error(`${what}: no member request reached the proxy`);
  return ms;
}

// --- through the CLI: the provider and the no-op provider ----------------------------------------

export interface CliStack {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  stack: PulumiStack<any>;
  stateDir: string;
  /** The plugin processes of a command (default: the dynamic-provider plugins). */
  plugins?: (r: CliResult) => ProcessSample[];
  /** Refresh steps may find changes (a peer's refresh: reported, not required to be a no-op). */
  lenientRefresh?: boolean;
}

export async function newStack(
  bench: BenchSetup,
  o: Pick<BenchOptions, "parallel" | "skipCheckpoints">,
  label: string,
  env: Record<string, string> = {},
  config: StackConfig = {},
): Promise<CliStack> {
  const stateDir = fs.mkdtempSync(path.join(bench.program.dir, `.state-${label}-`));
  // the program directory as a plain project folder: PulumiStack never removes it, close() does
  const programDir = { dir: bench.program.dir, packageName: bench.program.packageName };
  const stack = await PulumiStack.create<Pkg>({
    programDir,
    project: "bench",
    stack: label,
    stateDir,
    parallel: o.parallel,
    env: { OS_CLIENT_CONFIG_FILE: bench.proxiedCloudsFile, ...(o.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}), ...env },
    config,
  });
  return { stack, stateDir };
}

/** Runs one CLI command and takes everything measured around it; it must have run `o.members` steps
 *  of `type` of the operation's kind (`o.steps` when given). */
export async function cliPhase(
  bench: BenchSetup,
  s: CliStack,
  op: Operation,
  o: { members: number; parallel: number; steps?: number; timeoutMs?: number },
  type: string,
  command: (run: RunOptions) => Promise<CliResult>,
): Promise<{ phase: PhaseResult; result: CliResult }> {
  bench.take();
  const checkpoints = watchCheckpoints(s.stack.statePath);
  const cpu = process.cpuUsage();
  const children0 = exitedChildrenCpuMs();
  const t0 = performance.now();
  let result: CliResult;
  // past the time limit, the command's process group is killed and the phase is reported as capped
  let capped = false;
  let timer: NodeJS.Timeout | undefined;
  const start = (cli: ChildProcess) => {
    onStart(cli);
    if (o.timeoutMs !== undefined && cli.pid) {
      const pid = cli.pid;
      timer = setTimeout(() => {
        capped = true;
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, o.timeoutMs);
    }
  };
  try {
    result = await command({ onStart: start, allowFailure: o.timeoutMs !== undefined });
  } finally {
    clearTimeout(timer);
    await checkpoints.stop().catch(() => undefined);
  }
  const commandMs = performance.now() - t0;
  if (!capped && !result.ok) throw new PulumiRunError(result);
  const childrenCpu = exitedChildrenCpuMs() - children0;
  const harnessCpuMs = cpuSince(cpu);
  const checkpoint = await checkpoints.stop();
  const requests = bench.take();
  const plugins = s.plugins ? s.plugins(result) : result.plugins;
  const rss = plugins.map((p) => p.peakRssKb).filter((x): x is number => x !== undefined);
  const pluginCpu = plugins.map((p) => p.cpuMs).filter((x): x is number => x !== undefined);
  const pluginCpuMs = pluginCpu.reduce((a, b) => a + b, 0);
  const want = { create: "create", refresh: "refresh-same", check: "refresh-same", delete: "delete" }[op];
  const matches = (stepOp: string) => stepOp === want || (!!s.lenientRefresh && want === "refresh-same" && stepOp.startsWith("refresh"));
  const steps = result.steps.filter((x) => x.type === type && matches(x.op)).length;
  const expected = o.steps ?? o.members;
  if (!capped && steps !== expected) {
    const ops = [...new Set(result.steps.filter((x) => x.type === type).map((x) => x.op))].join(", ");
    throw new Error(`${COMMANDS[op]}: ${steps} ${want} steps of ${type}, expected ${expected} (ops seen: ${ops || "none"})`);
  }
  const phase: PhaseResult = {
    ...(capped ? { capped } : {}),
    ms: capped ? o.timeoutMs! : commandMs,
    commandMs: capped ? o.timeoutMs! : commandMs,
    command: `${COMMANDS[op]} --parallel ${o.parallel}`,
    pluginProcesses: plugins.length,
    languageHosts: languageHosts(result.processes).length,
    ...(rss.length ? { peakRssKb: Math.max(...rss) } : {}),
    ...(pluginCpu.length ? { pluginCpuMs } : {}),
    cliCpuMs: Math.max(0, childrenCpu - pluginCpuMs),
    harnessCpuMs,
    steps,
    checkpoint,
    requests,
  };
  return { phase, result };
}

/** The CLI command running now (it leads its own process group), for stopRunningCommand(). */
let runningCli: ChildProcess | undefined;
export const onStart = (cli: ChildProcess) => {
  runningCli = cli;
  cli.once("exit", () => {
    if (runningCli === cli) runningCli = undefined;
  });
};

/** Sends SIGINT to the process group of the CLI command the benchmark is running, if any (Ctrl-C
 *  does not reach it: it runs in its own group). */
export function stopRunningCommand(): void {
  if (runningCli?.pid && runningCli.exitCode === null) {
    try {
      process.kill(-runningCli.pid, "SIGINT");
    } catch {
      // already gone
    }
  }
}

/** The four commands on a stack of the program, in order; the stack ends empty. */
async function cliLifecycle(
  bench: BenchSetup,
  o: Required<BenchOptions>,
  s: CliStack,
  type: string,
  between: Partial<Record<Operation, () => Promise<void>>> = {},
): Promise<Record<Operation, PhaseResult>> {
  const phases = {} as Record<Operation, PhaseResult>;
  // the folder's own program (its index.js), run by the CLI's language host
  const program = {};
  const commands: Record<Operation, (r: RunOptions) => Promise<CliResult>> = {
    create: (r) => s.stack.up(program, r),
    refresh: (r) => s.stack.refresh({ expectNoChanges: true, ...r }),
    check: (r) => s.stack.preview(program, { refresh: true, expectNoChanges: true, ...r }),
    delete: (r) => s.stack.destroy(r),
  };
  for (const op of OPERATIONS) {
    phases[op] = (await cliPhase(bench, s, op, o, type, commands[op])).phase;
    await between[op]?.();
  }
  return phases;
}

async function runProvider(
  bench: BenchSetup,
  o: Required<BenchOptions>,
  run: number,
  imageId: string,
  members: string[],
): Promise<MethodResult> {
  // the clouds.yaml entry named once, in the stack's config, as the bridged peer's program names it once
  const s = await newStack(bench, o, `provider-${run}`, {}, { "openstack:cloud": o.cloud });
  writeInputs(bench.program.dir, s.stack.stackName, { members: { images: [{ imageId, memberIds: members }] } });
  try {
    const phases = await cliLifecycle(bench, o, s, IMAGE_MEMBER, {
      create: () => expectMembers(bench, o.cloud, imageId, members.length, "after pulumi up"),
      delete: () => expectMembers(bench, o.cloud, imageId, 0, "after pulumi destroy"),
    });
    for (const op of OPERATIONS) phases[op].ms = windowOf(phases[op].requests, `provider ${op}`);
    return phases;
  } finally {
    fs.rmSync(s.stateDir, { recursive: true, force: true });
  }
}

async function runNoop(bench: BenchSetup, o: Required<BenchOptions>, run: number): Promise<MethodResult> {
  const s = await newStack(bench, o, `noop-${run}`);
  writeInputs(bench.program.dir, s.stack.stackName, { noops: o.members });
  let phases: Record<Operation, PhaseResult>;
  try {
    phases = await cliLifecycle(bench, o, s, NOOP);
  } finally {
    fs.rmSync(s.stateDir, { recursive: true, force: true });
  }
  if (o.skipCheckpoints) return phases; // they ran so already
  // the same commands with the file backend writing the state once per command
  const skip = await newStack(bench, o, `noop-skip-${run}`, { PULUMI_SKIP_CHECKPOINTS: "true" });
  writeInputs(bench.program.dir, skip.stack.stackName, { noops: o.members });
  try {
    const t = async (op: Operation, command: (r: RunOptions) => Promise<CliResult>) => {
      phases[op].skipCheckpointsMs = (await cliPhase(bench, skip, op, o, NOOP, command)).phase.commandMs;
    };
    await t("create", (r) => skip.stack.up({}, r));
    await t("refresh", (r) => skip.stack.refresh({ expectNoChanges: true, ...r }));
    await t("delete", (r) => skip.stack.destroy(r));
  } finally {
    fs.rmSync(skip.stateDir, { recursive: true, force: true });
  }
  for (const op of OPERATIONS) {
    if (totalRequests(phases[op].requests)) {
      throw new Error(`noop ${op}: requests reached the proxies (${JSON.stringify(phases[op].requests)})`);
    }
  }
  return phases;
}

// --- the peers -----------------------------------------------------------------------------------

/** N `images.ImageAccess` of @pulumi/openstack, served by the bridged provider, through the same CLI commands. */
async function runPulumiOpenStack(
  bench: BenchSetup,
  o: Required<BenchOptions>,
  run: number,
  imageId: string,
  members: string[],
  peer: PulumiOpenStackPeer,
): Promise<MethodResult> {
  const { s, remove } = await bridgedStack(bench, o, peer, `pulumi-openstack-${run}`, [{ imageId, memberIds: members }]);
  try {
    const phases = await cliLifecycle(bench, o, s, IMAGE_ACCESS, {
      create: () => expectMembers(bench, o.cloud, imageId, members.length, "after pulumi up (ImageAccess)"),
      delete: () => expectMembers(bench, o.cloud, imageId, 0, "after pulumi destroy (ImageAccess)"),
    });
    for (const op of OPERATIONS) phases[op].ms = windowOf(phases[op].requests, `pulumi-openstack ${op}`);
    return phases;
  } finally {
    remove();
  }
}

/** A stack of the bridged peer's program (bench/programs/openstack-members.js) in a program directory
 *  of its own, one images.ImageAccess per membership of `images`; remove() deletes the directory. */
export async function bridgedStack(
  bench: BenchSetup,
  o: { parallel: number; skipCheckpoints?: boolean; cloud: string },
  peer: PulumiOpenStackPeer,
  label: string,
  images: { imageId: string; memberIds: string[] }[],
): Promise<{ s: CliStack; remove: () => void }> {
  const programDir = pulumiOpenStackProgramDir(peer, label);
  try {
    const stateDir = fs.mkdtempSync(path.join(programDir.dir, ".state-"));
    useProgram(programDir.dir, "openstack-members.js");
    const stack = await PulumiStack.create<OpenStackSdk>({
      programDir,
      project: "bench",
      stack: label.replace(/[^A-Za-z0-9_.-]/g, "-"),
      stateDir,
      parallel: o.parallel,
      env: {
        OS_CLIENT_CONFIG_FILE: bench.peersCloudsFile,
        OS_CLOUD: undefined,
        ...pulumiOpenStackEnv(peer, pulumiCli().binDir),
        ...(o.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
      },
    });
    // credentials from the clouds.yaml entry (OS_CLIENT_CONFIG_FILE), Glance through the counting proxy
    writeInputs(programDir.dir, stack.stackName, { cloud: o.cloud, imageUrl: `${bench.glance.url}/v2/`, images });
    const s: CliStack = { stack, stateDir, plugins: (r) => bridgedPlugins(r.processes), lenientRefresh: true };
    return { s, remove: () => programDir.remove() };
  } catch (e) {
    programDir.remove();
    throw e;
  }
}

/** The Terraform resource blocks of the members of some images: one resource per membership (`for_each`). */
export function tofuMembers(images: { imageId: string; memberIds: string[] }[]): string {
  return [
    `locals {`,
    `  memberships = {`,
    ...images.flatMap(({ imageId, memberIds }, i) =>
      memberIds.map((m, j) => `    ${hcl(`${i}-${j}`)} = { image_id = ${hcl(imageId)}, member_id = ${hcl(m)} }`),
    ),
    `  }`,
    `}`,
    `resource "openstack_images_image_access_v2" "member" {`,
    `  for_each  = local.memberships`,
    `  image_id  = each.value.image_id`,
    `  member_id = each.value.member_id`,
    `}`,
  ].join("\n");
}

/** Everything measured around one tofu command; past `o.timeoutMs` it is killed and reported as capped. */
export async function tofuPhase(
  bench: BenchSetup,
  t: TofuDir,
  op: Operation,
  o: { parallel: number; timeoutMs?: number },
  expectCode: number,
): Promise<PhaseResult> {
  bench.take();
  const cpu = process.cpuUsage();
  const children0 = exitedChildrenCpuMs();
  const r: TofuRun = await t.run([...TOFU_ARGS[op], `-parallelism=${o.parallel}`], { onStart, timeoutMs: o.timeoutMs });
  const childrenCpu = exitedChildrenCpuMs() - children0;
  const harnessCpuMs = cpuSince(cpu);
  const requests = bench.take();
  if (r.timedOut && o.timeoutMs !== undefined) {
    const plugins = tofuPlugins(r.processes);
    const rss = plugins.map((p) => p.peakRssKb).filter((x): x is number => x !== undefined);
    return {
      capped: true,
      ms: o.timeoutMs!,
      commandMs: o.timeoutMs!,
      command: `${TOFU_COMMANDS[op]} -parallelism=${o.parallel}`,
      pluginProcesses: plugins.length,
      ...(rss.length ? { peakRssKb: Math.max(...rss) } : {}),
      requests,
    };
  }
  if (r.code !== expectCode) {
    throw new Error(`${TOFU_COMMANDS[op]} exited with ${r.code} (expected ${expectCode}): ${lastLines(r.stderr || r.stdout, 8)}`);
  }
  const plugins = tofuPlugins(r.processes);
  const rss = plugins.map((p) => p.peakRssKb).filter((x): x is number => x !== undefined);
  const pluginCpu = plugins.map((p) => p.cpuMs).filter((x): x is number => x !== undefined);
  const pluginCpuMs = pluginCpu.reduce((a, b) => a + b, 0);
  return {
    ms: windowOf(requests, `opentofu ${op}`),
    commandMs: r.ms,
    command: `${TOFU_COMMANDS[op]} -parallelism=${o.parallel}`,
    pluginProcesses: plugins.length,
    ...(rss.length ? { peakRssKb: Math.max(...rss) } : {}),
    ...(pluginCpu.length ? { pluginCpuMs } : {}),
    cliCpuMs: Math.max(0, childrenCpu - pluginCpuMs),
    harnessCpuMs,
    requests,
  };
}

/** N `openstack_images_image_access_v2` through OpenTofu: apply, refresh-only apply, the drift check, destroy. */
async function runOpenTofu(
  bench: BenchSetup,
  o: Required<BenchOptions>,
  run: number,
  imageId: string,
  members: string[],
  peer: TofuPeer,
): Promise<MethodResult> {
  const t = TofuDir.create(peer, `bench-${run}`, { OS_CLIENT_CONFIG_FILE: bench.peersCloudsFile });
  try {
    t.write(tofuConfig([{ cloud: o.cloud, imageUrl: bench.glance.url }], tofuMembers([{ imageId, memberIds: members }])));
    await t.init(); // offline, from the mirror: not timed
    bench.take();
    const phases = {} as Record<Operation, PhaseResult>;
    phases.create = await tofuPhase(bench, t, "create", o, 0);
    await expectMembers(bench, o.cloud, imageId, members.length, "after tofu apply");
    bench.take();
    phases.refresh = await tofuPhase(bench, t, "refresh", o, 0);
    phases.check = await tofuPhase(bench, t, "check", o, 0); // 0: no changes (2 would be drift, 1 an error)
    phases.delete = await tofuPhase(bench, t, "delete", o, 0);
    await expectMembers(bench, o.cloud, imageId, 0, "after tofu destroy");
    return phases;
  } finally {
    t.remove();
  }
}

// --- the baselines -------------------------------------------------------------------------------

async function runRaw(bench: BenchSetup, o: Required<BenchOptions>, imageId: string, members: string[]): Promise<MethodResult> {
  bench.take();
  // one token for the whole loop, fetched through the proxy (counted in the create phase)
  const s = await session(bench.proxiedCloudsFile, o.cloud, true);
  const target = { imageUrl: s.imageUrl, token: s.token };
  const phase = (loopMs: number, cpu: NodeJS.CpuUsage, what: string): PhaseResult => {
    const harnessCpuMs = cpuSince(cpu);
    const requests = bench.take();
    return { ms: windowOf(requests, what), loopMs, harnessCpuMs, requests };
  };
  let cpu = process.cpuUsage();
  const memberships = membershipsOf(imageId, members);
  const created = await rawCreate(target, memberships, o.concurrency);
  const create = phase(created.ms, cpu, "raw POSTs");
  await expectMembers(bench, o.cloud, imageId, members.length, "after raw POSTs");
  bench.take();
  cpu = process.cpuUsage();
  const got = await rawGet(target, memberships, o.concurrency);
  const refresh = phase(got.ms, cpu, "raw GETs");
  cpu = process.cpuUsage();
  const deleted = await rawDelete(target, memberships, o.concurrency);
  const del = phase(deleted.ms, cpu, "raw DELETEs");
  await expectMembers(bench, o.cloud, imageId, 0, "after raw DELETEs");
  return { create, refresh, delete: del };
}

/** One openstacksdk process (bench/openstacksdk.py) for one image, phase by phase. */
class SdkProcess {
  private readonly lines: AsyncIterator<string>;
  private stderr = "";

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static start(cloudsFile: string): SdkProcess {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OS_CLIENT_CONFIG_FILE: cloudsFile,
      no_proxy: "127.0.0.1,localhost",
      NO_PROXY: "127.0.0.1,localhost",
    };
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
): Promise<MethodResult> {
  bench.take();
  const sdk = SdkProcess.start(bench.proxiedCloudsFile);
  try {
    // first line: the job; the answer is the connect phase (import, auth, version discovery)
    const connect = await sdk.send({ cloud: o.cloud, image: imageId, members });
    meta.openstacksdk = String(connect.openstacksdk);
    const phase = async (name: Operation): Promise<PhaseResult> => {
      const answer = await sdk.send(name);
      const requests = bench.take();
      return { ms: windowOf(requests, `openstacksdk ${name}`), loopMs: Number(answer.seconds) * 1000, requests };
    };
    const create = await phase("create");
    create.commandMs = Number(connect.seconds) * 1000;
    await expectMembers(bench, o.cloud, imageId, members.length, "after openstacksdk add_member");
    bench.take();
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
  const concurrency = options.concurrency ?? 10;
  const o: Required<BenchOptions> = {
    members: options.members ?? 50,
    runs: options.runs ?? 1,
    concurrency,
    parallel: options.parallel ?? concurrency,
    methods: options.methods ?? METHODS,
    skipCheckpoints: options.skipCheckpoints ?? false,
    cloud: options.cloud ?? "producer",
    peers: options.peers ?? {},
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
    skipCheckpoints: o.skipCheckpoints,
    startedAt: new Date().toISOString(),
    node: process.version,
    ...(o.methods.some((m) => CLI_METHODS.includes(m)) ? { pulumi: pulumiCli().version } : {}),
    cpus: os.availableParallelism(),
    loadavg: os.loadavg(),
    credentialSets: 1,
    commands: COMMANDS,
  };
  const peerMethods = o.methods.filter(isPeer);
  if (peerMethods.length) {
    meta.peers = {};
    for (const m of peerMethods) {
      const p = o.peers[m];
      meta.peers[m] = !p
        ? { built: false, reason: "not looked for (no peers given to runBenchmark)" }
        : !p.built
          ? { built: false, reason: p.reason }
          : m === "opentofu"
            ? {
                built: true,
                version: `${(p as TofuPeer).version}, terraform-provider-openstack ${(p as TofuPeer).providerVersion}`,
                commands: TOFU_COMMANDS,
              }
            : {
                built: true,
                version: `@pulumi/openstack ${PULUMI_OPENSTACK_VERSION}, bridged pulumi-resource-openstack ${(p as PulumiOpenStackPeer).pluginVersion}`,
                commands: COMMANDS,
              };
    }
  }
  const runs: RunResult[] = [];
  for (let run = 1; run <= o.runs; run++) {
    // rotate the order so no method always runs first (or right after another's deletes)
    const order = o.methods.map((_, i) => o.methods[(i + run - 1) % o.methods.length]);
    const result: RunResult = { run, order };
    for (const method of order) {
      const t0 = performance.now();
      if (isPeer(method) && !meta.peers?.[method]?.built) continue; // reported as not built
      if (isPeer(method) && meta.peers?.[method]?.failed) continue; // failed in an earlier run
      if (method === "noop") {
        result.noop = await runNoop(bench, o, run);
      } else if (isPeer(method)) {
        const imageId = await createImage(bench.cloud.cloudsFile, o.cloud, { visibility: "shared", name: `bench-${method}-${run}` });
        const members = memberIds(o.members);
        try {
          if (method === "opentofu") result.opentofu = await runOpenTofu(bench, o, run, imageId, members, o.peers.opentofu as TofuPeer);
          else
            result["pulumi-openstack"] = await runPulumiOpenStack(
              bench,
              o,
              run,
              imageId,
              members,
              o.peers["pulumi-openstack"] as PulumiOpenStackPeer,
            );
        } catch (e) {
          // a peer that fails is reported, and the benchmark carries on
          const message = (e instanceof Error ? e.message : String(e)).split("\n").filter(Boolean).slice(0, 6).join(" / ");
          meta.peers![method]!.failed = message;
          o.log(`run ${run}/${o.runs} ${method}: failed: ${message}`);
          continue;
        } finally {
          await deleteImage(bench.cloud.cloudsFile, o.cloud, imageId);
        }
      } else {
        const imageId = await createImage(bench.cloud.cloudsFile, o.cloud, { visibility: "shared", name: `bench-${method}-${run}` });
        const members = memberIds(o.members);
        try {
          if (method === "provider") result.provider = await runProvider(bench, o, run, imageId, members);
          else if (method === "raw") result.raw = await runRaw(bench, o, imageId, members);
          else result.openstacksdk = await runOpenStackSdk(bench, o, imageId, members, meta);
        } finally {
          await deleteImage(bench.cloud.cloudsFile, o.cloud, imageId);
        }
      }
      const r = result[method]!;
      const time = (p: PhaseResult | undefined) => (p ? `${((p.commandMs ?? p.ms) / 1000).toFixed(2)} s` : "-");
      const cli = CLI_METHODS.includes(method) || method === "opentofu";
      o.log(
        `run ${run}/${o.runs} ${method.padEnd(12)} ` +
          OPERATIONS.filter((op) => r[op])
            .map(
              (op) =>
                `${op} ${cli ? time(r[op]) : `${(r[op]!.ms / 1000).toFixed(2)} s`}${cli ? ` (${r[op]!.pluginProcesses} plugin process(es))` : ""}`,
            )
            .join(", ") +
          ` (${((performance.now() - t0) / 1000).toFixed(1)} s in all)`,
      );
    }
    runs.push(result);
  }
  meta.loadavgEnd = os.loadavg();
  const results: BenchResults = {
    meta,
    setup: { programDirMs: bench.programDirMs, packageBuildMs: bench.program.template.buildMs },
    runs,
    rows: summarize(runs, o, meta),
    economy: [],
    floors: [],
  };
  results.economy = economyChecks(results);
  results.floors = floorChecks(results);
  return results;
}

const LABELS: Record<Method, string> = {
  provider: "provider (CLI)",
  noop: "no-op provider (CLI)",
  raw: "raw HTTP",
  openstacksdk: "openstacksdk loop",
  opentofu: "OpenTofu image_access_v2",
  "pulumi-openstack": "bridged ImageAccess (CLI)",
};

const CLI_VERB: Record<Operation, string> = { create: "up", refresh: "refresh", check: "preview --refresh", delete: "destroy" };
const TOFU_VERB: Record<Operation, string> = {
  create: "apply",
  refresh: "apply -refresh-only",
  check: "plan -refresh-only",
  delete: "destroy",
};

function summarize(runs: RunResult[], o: Required<BenchOptions>, meta: BenchResults["meta"]): Row[] {
  const rows: Row[] = [];
  const failures = new Map<string, string>();
  for (const [m, p] of Object.entries(meta.peers ?? {})) if (p?.failed) failures.set(m, p.failed);
  for (const operation of OPERATIONS) {
    for (const method of o.methods) {
      const timings: Row["timing"][] =
        method === "provider" || isPeer(method) ? ["command", "window"] : method === "noop" ? ["command"] : ["window"];
      const peer = isPeer(method) ? o.peers[method] : undefined;
      const notMeasured = isPeer(method)
        ? !peer
          ? "not built: not looked for"
          : !peer.built
            ? `not built: ${peer.reason}`
            : undefined
        : undefined;
      for (const timing of timings) {
        const phases = runs.map((r) => r[method]?.[operation]).filter((p): p is PhaseResult => p !== undefined);
        if (!phases.length) {
          // a peer that was not built, or failed: one row per operation saying so
          if (isPeer(method) && timing === "command") {
            const why = notMeasured ?? `failed: ${failures.get(method) ?? "no phase measured"}`;
            rows.push({
              operation,
              method,
              timing,
              label: `${LABELS[method]}: ${why}`,
              medianMs: NaN,
              msPerMember: NaN,
              membersPerSecond: NaN,
              requests: Object.fromEntries([...REQUEST_KINDS, "failed"].map((k) => [k, NaN])) as Row["requests"],
              notMeasured: why,
            });
          }
          continue;
        }
        const time = (p: PhaseResult) => (timing === "command" ? (p.commandMs ?? p.ms) : p.ms);
        const medianMs = median(phases.map(time));
        // raw HTTP's window for the same operation (the check has no raw counterpart), same run
        const ratios =
          method === "noop"
            ? []
            : runs
                .map((r) => {
                  const mine = r[method]?.[operation];
                  const raw = r.raw?.[operation];
                  return mine && raw ? raw.ms / time(mine) : undefined;
                })
                .filter((x): x is number => x !== undefined);
        const requests = Object.fromEntries(
          [...REQUEST_KINDS, "failed" as const].map((k) => [k, median(phases.map((p) => p.requests[k]))]),
        ) as Row["requests"];
        const values = (f: (p: PhaseResult) => number | undefined) => phases.map(f).filter((x): x is number => x !== undefined);
        const rss = values((p) => p.peakRssKb);
        const pluginCpu = values((p) => p.pluginCpuMs);
        const cliCpu = values((p) => p.cliCpuMs);
        const harnessCpu = values((p) => p.harnessCpuMs);
        const processes = values((p) => p.pluginProcesses);
        const writes = values((p) => p.checkpoint?.writes);
        const bytes = values((p) => p.checkpoint?.finalBytes);
        const written = values((p) => p.checkpoint?.bytesWritten);
        const skip = values((p) => p.skipCheckpointsMs);
        const what = {
          opentofu: timing === "command" ? `whole ${TOFU_VERB[operation]}` : "member requests at the proxy",
          "pulumi-openstack": timing === "command" ? `whole ${CLI_VERB[operation]}` : "member requests at the proxy",
          provider: timing === "command" ? `whole ${CLI_VERB[operation]}` : "member requests at the proxy",
          noop: `whole ${CLI_VERB[operation]}`,
          raw: `${{ create: "POST", refresh: "GET one", check: "", delete: "DELETE" }[operation]}, ${o.concurrency} in flight`,
          openstacksdk: { create: "add_member", refresh: "get_member", check: "", delete: "remove_member" }[operation],
        }[method];
        const cliRow = CLI_METHODS.includes(method) || method === "opentofu";
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
          ...(cliRow && phases[0].command ? { command: phases[0].command } : {}),
          ...(processes.length ? { pluginProcesses: Math.max(...processes) } : {}),
          ...(rss.length ? { peakRssMb: Math.max(...rss) / 1024 } : {}),
          ...(pluginCpu.length ? { pluginCpuMsPerMember: median(pluginCpu) / o.members } : {}),
          ...(cliCpu.length ? { cliCpuMsPerMember: median(cliCpu) / o.members } : {}),
          ...(harnessCpu.length ? { harnessCpuMsPerMember: median(harnessCpu) / o.members } : {}),
          ...(writes.length ? { checkpointWrites: median(writes) } : {}),
          ...(bytes.length ? { checkpointBytes: median(bytes) } : {}),
          ...(written.length ? { checkpointBytesWritten: median(written) } : {}),
          ...(skip.length ? { skipCheckpointsMs: median(skip) } : {}),
        });
      }
    }
  }
  return rows;
}

/** docs/guarantees.md (few requests): the provider's requests, whatever N and the parallelism,
 *  counted per plugin process the CLI started for the command. */
export function economyChecks(results: BenchResults): Check[] {
  const checks: Check[] = [];
  const n = results.meta.members;
  const exactly = (name: string, expected: number, actual: number) => checks.push({ name, expected, actual, pass: expected === actual });
  const between = (name: string, min: number, max: number, actual: number) =>
    checks.push({ name, expected: min === max ? min : `${min}..${max}`, actual, pass: actual >= min && actual <= max });
  for (const r of results.runs) {
    const p = r.provider;
    if (!p) continue;
    const tag = `run ${r.run}`;
    for (const op of OPERATIONS) {
      const phase = p[op];
      if (!phase) continue;
      const processes = phase.pluginProcesses ?? 0;
      between(
        `${tag} ${op}: token requests, at most 1 per credential set per plugin process (${processes} process(es))`,
        1,
        results.meta.credentialSets * processes,
        phase.requests.token,
      );
      exactly(`${tag} ${op}: failed requests`, 0, phase.requests.failed);
      exactly(`${tag} ${op}: other requests (not token, not member)`, 0, phase.requests.other);
    }
    const { create, refresh, check, delete: del } = p;
    if (create) {
      exactly(`${tag} create: one POST per member`, n, create.requests.post);
      exactly(
        `${tag} create: no other member requests`,
        0,
        create.requests.getOne + create.requests.getList + create.requests.put + create.requests.delete,
      );
    }
    for (const [op, phase] of [
      ["refresh", refresh],
      ["check", check],
    ] as const) {
      if (!phase) continue;
      between(
        `${tag} ${op}: list requests for ${n} members of one image, at most 1 per plugin process (${phase.pluginProcesses} process(es))`,
        1,
        phase.pluginProcesses ?? 0,
        phase.requests.getList,
      );
      exactly(`${tag} ${op}: no single-member GETs`, 0, phase.requests.getOne);
      exactly(`${tag} ${op}: no writes`, 0, phase.requests.post + phase.requests.put + phase.requests.delete);
    }
    if (del) {
      exactly(`${tag} delete: one DELETE per member`, n, del.requests.delete);
      exactly(
        `${tag} delete: no other member requests`,
        0,
        del.requests.post + del.requests.getOne + del.requests.getList + del.requests.put,
      );
    }
  }
  return checks;
}

export const FLOOR_THROUGHPUT = 0.8;

export function floorChecks(results: BenchResults): Check[] {
  const floors: Check[] = [];
  const create = results.rows.find((r) => r.operation === "create" && r.method === "provider" && r.timing === "window");
  if (create?.throughputVsRaw !== undefined) {
    floors.push({
      name:
        `create throughput >= ${FLOOR_THROUGHPUT}x raw HTTP at the same concurrency, first to last member request at the proxy ` +
        `(--parallel ${results.meta.parallel} vs ${results.meta.concurrency} in flight)`,
      expected: `>= ${FLOOR_THROUGHPUT}`,
      actual: Number(create.throughputVsRaw.toFixed(3)),
      pass: create.throughputVsRaw >= FLOOR_THROUGHPUT,
    });
  }
  return floors;
}

// --- output --------------------------------------------------------------------------------------

const fmt = (x: number | undefined, digits: number) => (x === undefined ? "" : x.toFixed(digits));
const mb = (bytes: number | undefined) => (bytes === undefined ? "" : (bytes / 1024 / 1024).toFixed(2));

/** The table, the notes and the PASS/FAIL lines. */
export function formatReport(results: BenchResults): string {
  const { meta } = results;
  const head = [
    "operation",
    "method",
    "median s",
    "ms/member",
    "members/s",
    "thpt/raw",
    "token",
    "POST",
    "GET1",
    "GETlist",
    "PUT",
    "DELETE",
    "other",
    "failed",
    "plugins",
    "plugin RSS MiB",
    "ckpt writes",
    "ckpt MiB",
  ];
  const body = results.rows.map((r) =>
    r.notMeasured !== undefined
      ? [r.operation, r.label.length > 140 ? `${r.label.slice(0, 137)}...` : r.label, ...head.slice(2).map(() => "")]
      : [
          r.operation,
          r.label,
          fmt(r.medianMs / 1000, 3),
          fmt(r.msPerMember, 2),
          fmt(r.membersPerSecond, 1),
          r.throughputVsRaw === undefined ? "" : `${r.throughputVsRaw.toFixed(2)}x`,
          ...(["token", "post", "getOne", "getList", "put", "delete", "other", "failed"] as const).map((k) =>
            r.method === "noop" ? "" : String(r.requests[k]),
          ),
          r.pluginProcesses === undefined ? "" : String(r.pluginProcesses),
          fmt(r.peakRssMb, 1),
          r.checkpointWrites === undefined || r.timing !== "command" ? "" : String(r.checkpointWrites),
          r.timing !== "command" ? "" : mb(r.checkpointBytes),
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const left = new Set([0, 1]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  const load = (l: number[] | undefined) => (l ? l.map((x) => x.toFixed(2)).join(" ") : "?");
  const out: string[] = [];
  out.push(
    `N = ${meta.members} members of one image, ${meta.runs} run(s), medians; pulumi ${meta.pulumi ?? "(not run)"} --parallel ${meta.parallel}, raw HTTP ${meta.concurrency} in flight; ` +
      (meta.skipCheckpoints ? "every CLI command with PULUMI_SKIP_CHECKPOINTS=true (not how users run); " : "") +
      `node ${meta.node}${meta.openstacksdk ? `, openstacksdk ${meta.openstacksdk}` : ""}, ${meta.cpus} CPUs, load average ${load(meta.loadavg)} at the start, ${load(meta.loadavgEnd)} at the end`,
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
  const peers = Object.entries(meta.peers ?? {});
  if (peers.length) {
    out.push(
      "Peers: " +
        peers
          .map(([m, p]) => `${m} ${p!.built ? p!.version : `not built: ${p!.reason}`}${p!.failed ? ` (failed: ${p!.failed})` : ""}`)
          .join("; ") +
        `. opentofu: ${OPERATIONS.map((op) => `${op} = ${TOFU_COMMANDS[op]}`).join("; ")} (each with -parallelism=${meta.parallel}, -input=false, ` +
        "local state, terraform-provider-openstack from a filesystem mirror); pulumi-openstack: the CLI commands below, " +
        "N images.ImageAccess with an explicit openstack.Provider. Their plugins = terraform-provider-openstack or pulumi-resource-openstack processes.",
    );
  }
  out.push(
    `Commands: ${OPERATIONS.map((op) => `${op} = ${meta.commands[op]}`).join("; ")} (each with --parallel ${meta.parallel}, a file backend). ` +
      '"whole" = the command as the harness runs it (the CLI from start to exit, its language host running the program); ' +
      '"member requests at the proxy" and the raw and openstacksdk rows = from the first member request\'s arrival at the Glance proxy to the last member answer. ' +
      "thpt/raw = raw HTTP's window / this time, per run, median. Requests counted at the proxies " +
      "(openstacksdk's create includes its connect: token + version discovery). plugins = plugin processes the command started (most over runs); " +
      "plugin RSS = their largest peak RSS (VmHWM); ckpt = checkpoints the file backend wrote to the stack file, and its size after the command.",
  );
  const loops = results.rows.filter((r) => r.method === "raw" || r.method === "openstacksdk");
  if (loops.length) {
    out.push(
      "Client loop times, median: " +
        loops
          .map((r) => {
            const ms = median(results.runs.map((x) => x[r.method]?.[r.operation]?.loopMs).filter((x): x is number => x !== undefined));
            return `${r.method} ${r.operation} ${fmt(ms / 1000, 3)} s`;
          })
          .join(", ") +
        ".",
    );
  }
  const cpuRows = results.rows.filter((r) => r.timing === "command" && r.cliCpuMsPerMember !== undefined);
  if (cpuRows.length) {
    out.push(
      "CPU per command, medians (2 shared cores: what the CLI and the plugin use is taken from Glance): " +
        cpuRows
          .map((r) => {
            const s = (perMember: number | undefined) => fmt(perMember === undefined ? undefined : (perMember * meta.members) / 1000, 2);
            const all = (r.cliCpuMsPerMember ?? 0) + (r.pluginCpuMsPerMember ?? 0) + (r.harnessCpuMsPerMember ?? 0);
            return `${r.method} ${r.operation}: CLI, language host & program ${s(r.cliCpuMsPerMember)} s + plugin ${s(r.pluginCpuMsPerMember)} s + proxies & harness ${s(r.harnessCpuMsPerMember)} s (${fmt(all, 1)} ms per member)`;
          })
          .join("; ") +
        ".",
    );
  }
  const ckpt = results.rows.filter((r) => r.timing === "command" && r.checkpointWrites !== undefined && r.operation !== "check");
  if (ckpt.length) {
    out.push(
      "Checkpoints (file backend: the whole stack file, when each step starts and when it ends), median: " +
        ckpt
          .map(
            (r) =>
              `${r.method} ${r.operation} ${r.checkpointWrites} writes, ${mb(r.checkpointBytes)} MiB at the end, ≈ ${mb(r.checkpointBytesWritten)} MiB written` +
              (r.skipCheckpointsMs !== undefined
                ? `, ${fmt(r.medianMs / 1000, 2)} s vs ${fmt(r.skipCheckpointsMs / 1000, 2)} s with PULUMI_SKIP_CHECKPOINTS=true`
                : ""),
          )
          .join("; ") +
        ".",
    );
  }
  if (results.setup.packageBuildMs)
    out.push(
      `Package packed and installed for the program directory in ${fmt(results.setup.packageBuildMs / 1000, 1)} s (not timed above).`,
    );
  out.push("");
  const failedEconomy = results.economy.filter((c) => !c.pass);
  out.push(
    failedEconomy.length
      ? failedEconomy.map((c) => `ECONOMY FAIL: ${c.name}: expected ${c.expected}, got ${c.actual}`).join("\n")
      : `ECONOMY PASS: ${results.economy.length} request-count checks (at most 1 token per credential set per plugin process, N POSTs, ` +
          "at most 1 list GET per plugin process to refresh N members, N DELETEs, no other requests, none failed)",
  );
  for (const f of results.floors) out.push(`${f.pass ? "PASS" : "FAIL"}: ${f.name}: ${f.actual}`);
  return out.join("\n");
}
