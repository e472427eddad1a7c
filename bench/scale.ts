// `npm run bench -- --scale`: memberships at scale, each method through its own create, refresh, drift
// check and destroy, on the benchmark's Keystone + Glance (member quota lifted), behind its counting
// proxies. Cases: N memberships laid out as 1 image × N projects, and as 10 images × N/10.
//
//   ImageShare        one ImageShare per image (bench/programs/members.js), through the CLI
//   ImageMember       one ImageMember per membership, through the CLI
//   opentofu          one openstack_images_image_access_v2 per membership (for_each), OpenTofu
//   pulumi-openstack  one bridged images.ImageAccess per membership, through the CLI
//   raw               node:http, one keep-alive agent: a token, then POSTs; a list GET per image;
//                     a token, then DELETEs (each its whole script, token included; no drift check)
//   noop              N no-op dynamic resources through the CLI: what the CLI and its plugin host cost
//
// Concurrency: the provider writes MEMBER_WRITES_IN_FLIGHT members of an image at once, so the CLI's
// --parallel, OpenTofu's -parallelism and raw HTTP's requests in flight are that times the images.
// Every CLI command uses the file backend with its checkpoints on, as users get it. A method other
// than ImageShare and raw is stopped at the time limit; the limit is then its time (a lower bound)
// and its later commands are not measured. Each run rotates the methods' order; rows are medians.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REQUEST_KINDS, type RequestCounts, type RequestKind } from "../dev/harness/counting-proxy";
import { createImage, deleteImage, session } from "../dev/harness/images";
import { pulumiCli, type RunOptions, type RunResult } from "../dev/harness/pulumi";
import { MEMBER_WRITES_IN_FLIGHT } from "../provider/parallel";
import { writeInputs } from "./folder-program";
import {
  type BenchSetup,
  bridgedStack,
  type Check,
  type CliStack,
  COMMANDS,
  cliPhase,
  expectMembers,
  median,
  memberIds,
  newStack,
  OPERATIONS,
  type Operation,
  type PhaseResult,
  TOFU_COMMANDS,
  tofuMembers,
  tofuPhase,
} from "./measure";
import { type Peers, PULUMI_OPENSTACK_VERSION, type PulumiOpenStackPeer, type TofuPeer } from "./peers";
import { membershipsOf, rawCreate, rawDelete, rawList } from "./raw";
import { TofuDir, tofuConfig } from "./tofu";

export type ScaleMethod = "ImageShare" | "ImageMember" | "opentofu" | "pulumi-openstack" | "raw" | "noop";
export const SCALE_METHODS: ScaleMethod[] = ["ImageShare", "ImageMember", "opentofu", "pulumi-openstack", "raw", "noop"];
/** The methods a time limit never stops: the one under test and the baseline it is compared with. */
const UNCAPPED: ScaleMethod[] = ["ImageShare", "raw"];
const TYPES: Record<"ImageShare" | "ImageMember" | "noop" | "pulumi-openstack", string> = {
  ImageShare: "pulumi-nodejs:dynamic/glance:ImageShare",
  ImageMember: "pulumi-nodejs:dynamic/glance:ImageMember",
  noop: "pulumi-nodejs:dynamic/bench:Noop",
  "pulumi-openstack": "openstack:images/imageAccess:ImageAccess",
};

export interface ScaleOptions {
  /** Memberships per case (default 100, 1000, 5000). */
  sizes?: number[];
  /** Images per case: the N memberships are spread evenly over them (default 1 and 10). */
  layouts?: number[];
  methods?: ScaleMethod[];
  /** Runs per case; rows are medians (default 3). */
  runs?: number;
  /** Where a method other than ImageShare and raw is stopped, per command (default 300 s). */
  timeLimitMs?: number;
  /** The commands each method runs, in this order (default all four). */
  operations?: Operation[];
  /** The peer tools (bench/peers.ts findPeers); a peer missing or not built is reported so. */
  peers?: Peers;
  /** The clouds.yaml entry that owns the images (default "producer"). */
  cloud?: string;
  log?: (line: string) => void;
}

type Requests = Record<RequestKind | "failed", number>;

/** One method's command in one case: medians over the runs. */
export interface ScaleRow {
  method: ScaleMethod;
  operation: Operation;
  /** The command line (raw: what its script sends). */
  command: string;
  members: number;
  images: number;
  /** The whole command, s; a run stopped at the limit counts as the limit. null: not measured. */
  seconds: number | null;
  /** Each run's seconds. */
  runSeconds: number[];
  /** A run was stopped at the time limit: `seconds` is a lower bound. */
  capped: boolean;
  /** Requests counted at the proxies, by kind. */
  requests: Requests | null;
  /** The state after `up`: the stack's checkpoint file (Pulumi), terraform.tfstate (OpenTofu). */
  stateBytes: number | null;
  /** Bytes of checkpoints the file backend wrote during the command (Pulumi only). */
  checkpointBytes: number | null;
  /** The largest peak RSS (VmHWM) of the command's provider plugin processes, MiB. */
  pluginPeakRssMiB: number | null;
  /** Why there are no figures: "not built: …", "failed: …", "after a stopped up", "no drift check". */
  notMeasured?: string;
}

export interface ScaleResults {
  meta: {
    startedAt: string;
    node: string;
    pulumi: string;
    cpus: number;
    /** Load average when the benchmark started, and when it ended. */
    loadavg: number[];
    loadavgEnd?: number[];
    sizes: number[];
    layouts: number[];
    methods: ScaleMethod[];
    runs: number;
    timeLimitSeconds: number;
    /** The provider's writes in flight per image; --parallel = this × images. */
    memberWritesInFlight: number;
    commands: Record<Operation, string>;
    tofuCommands: Record<Operation, string>;
    peers: Partial<Record<"opentofu" | "pulumi-openstack", string>>;
  };
  rows: ScaleRow[];
  floors: Check[];
  /** ms the whole benchmark took. */
  ms?: number;
}

interface Sample {
  seconds: number;
  capped: boolean;
  requests: RequestCounts;
  stateBytes?: number;
  checkpointBytes?: number;
  rssKb?: number;
}
type MethodRun = Partial<Record<Operation, Sample>> & { failed?: string };

interface Case {
  members: number;
  images: number;
}
interface CaseImages {
  imageId: string;
  memberIds: string[];
}

const sample = (p: PhaseResult, extra: Partial<Sample> = {}): Sample => ({
  seconds: (p.commandMs ?? p.ms) / 1000,
  capped: !!p.capped,
  requests: p.requests,
  ...(p.checkpoint ? { checkpointBytes: p.checkpoint.bytesWritten } : {}),
  ...(p.peakRssKb !== undefined ? { rssKb: p.peakRssKb } : {}),
  ...extra,
});

/** Each image has all its members (`full`) or none; the list requests are not the next command's. */
async function expectAll(bench: BenchSetup, cloud: string, images: CaseImages[], full: boolean, what: string): Promise<void> {
  for (const { imageId, memberIds } of images) await expectMembers(bench, cloud, imageId, full ? memberIds.length : 0, what);
  bench.take();
}

/** The four commands on a CLI stack, stopping after a command stopped at the limit. */
async function cliCommands(
  bench: BenchSetup,
  s: CliStack,
  type: string,
  c: Case & { parallel: number; steps: number; timeoutMs?: number; cloud: string },
  images: CaseImages[] | undefined,
  progress: (op: Operation) => () => void,
  ops: Operation[],
): Promise<MethodRun> {
  const out: MethodRun = {};
  const commands: Record<Operation, (r: RunOptions) => Promise<RunResult>> = {
    create: (r) => s.stack.up({}, r),
    refresh: (r) => s.stack.refresh({ expectNoChanges: true, ...r }),
    check: (r) => s.stack.preview({}, { refresh: true, expectNoChanges: true, ...r }),
    delete: (r) => s.stack.destroy(r),
  };
  for (const op of ops) {
    const done = progress(op);
    const { phase } = await cliPhase(bench, s, op, c, type, commands[op]).finally(done);
    // a stopped up leaves a partial state: its size says nothing per membership
    out[op] = sample(phase, op === "create" && phase.checkpoint && !phase.capped ? { stateBytes: phase.checkpoint.finalBytes } : {});
    if (phase.capped) break;
    if (images && op === "create") await expectAll(bench, c.cloud, images, true, `after ${COMMANDS.create}`);
    if (images && op === "delete") await expectAll(bench, c.cloud, images, false, `after ${COMMANDS.delete}`);
  }
  return out;
}

interface Context {
  bench: BenchSetup;
  o: Required<ScaleOptions>;
  /** Prints the command's progress; the function it returns prints its time. */
  progress: (op: Operation) => () => void;
}

async function runMethod(ctx: Context, method: ScaleMethod, c: Case, images: CaseImages[], label: string): Promise<MethodRun> {
  const { bench, o } = ctx;
  const parallel = MEMBER_WRITES_IN_FLIGHT * c.images;
  const timeoutMs = UNCAPPED.includes(method) ? undefined : o.timeLimitMs;
  const { progress } = ctx;
  const cli = { ...c, parallel, timeoutMs, cloud: o.cloud };
  if (method === "ImageShare" || method === "ImageMember" || method === "noop") {
    // the clouds.yaml entry named once, in the stack's config, as the bridged peer's program names it
    // once, on its provider: no resource repeats it in its inputs and outputs
    const s = await newStack(bench, { parallel }, label, {}, method === "noop" ? {} : { "openstack:cloud": o.cloud });
    const inputs = method === "noop" ? { noops: c.members } : { [method === "ImageShare" ? "shares" : "members"]: { images } };
    try {
      writeInputs(bench.program.dir, s.stack.stackName, inputs);
      const steps = method === "ImageShare" ? c.images : c.members;
      return await cliCommands(bench, s, TYPES[method], { ...cli, steps }, method === "noop" ? undefined : images, progress, o.operations);
    } finally {
      fs.rmSync(s.stateDir, { recursive: true, force: true });
    }
  }
  if (method === "pulumi-openstack") {
    const { s, remove } = await bridgedStack(bench, { parallel, cloud: o.cloud }, o.peers[method] as PulumiOpenStackPeer, label, images);
    try {
      return await cliCommands(bench, s, TYPES[method], { ...cli, steps: c.members }, images, progress, o.operations);
    } finally {
      remove();
    }
  }
  if (method === "opentofu") {
    const t = TofuDir.create(o.peers.opentofu as TofuPeer, label, { OS_CLIENT_CONFIG_FILE: bench.peersCloudsFile });
    try {
      t.write(tofuConfig([{ cloud: o.cloud, imageUrl: bench.glance.url }], tofuMembers(images)));
      await t.init(); // offline, from the mirror: not timed
      bench.take();
      const out: MethodRun = {};
      for (const op of o.operations) {
        const done = progress(op);
        const phase = await tofuPhase(bench, t, op, { parallel, timeoutMs }, 0).finally(done);
        const state = path.join(t.dir, "terraform.tfstate");
        out[op] = sample(phase, op === "create" && !phase.capped && fs.existsSync(state) ? { stateBytes: fs.statSync(state).size } : {});
        if (phase.capped) break;
        if (op === "create") await expectAll(bench, o.cloud, images, true, `after ${TOFU_COMMANDS.create}`);
        if (op === "delete") await expectAll(bench, o.cloud, images, false, `after ${TOFU_COMMANDS.delete}`);
      }
      return out;
    } finally {
      t.remove();
    }
  }
  // raw HTTP: each script whole, its token included
  const memberships = images.flatMap(({ imageId, memberIds }) => membershipsOf(imageId, memberIds));
  const script = async (op: Operation, body: (target: { imageUrl: string; token: string }) => Promise<unknown>) => {
    const done = progress(op);
    bench.take();
    const t0 = performance.now();
    try {
      const s = await session(bench.proxiedCloudsFile, o.cloud, true);
      await body({ imageUrl: s.imageUrl, token: s.token });
    } finally {
      done();
    }
    return { seconds: (performance.now() - t0) / 1000, capped: false, requests: bench.take() };
  };
  const out: MethodRun = {};
  const runs = (op: Operation) => o.operations.includes(op);
  if (runs("create")) {
    out.create = await script("create", (t) => rawCreate(t, memberships, parallel));
    await expectAll(bench, o.cloud, images, true, "after raw POSTs");
  }
  if (runs("refresh"))
    out.refresh = await script("refresh", (t) =>
      rawList(
        t,
        images.map((i) => i.imageId),
        parallel,
      ),
    );
  if (runs("delete")) {
    out.delete = await script("delete", (t) => rawDelete(t, memberships, parallel));
    await expectAll(bench, o.cloud, images, false, "after raw DELETEs");
  }
  return out;
}

const RAW_COMMANDS: Partial<Record<Operation, string>> = {
  create: "a token, then POST /v2/images/{id}/members per membership",
  refresh: "a token, then GET /v2/images/{id}/members per image",
  delete: "a token, then DELETE /v2/images/{id}/members/{member} per membership",
};

function commandOf(method: ScaleMethod, op: Operation, parallel: number): string {
  if (method === "raw") return RAW_COMMANDS[op] ? `${RAW_COMMANDS[op]} (${parallel} in flight)` : "";
  if (method === "opentofu") return `${TOFU_COMMANDS[op]} -parallelism=${parallel}`;
  return `${COMMANDS[op]} --parallel ${parallel}`;
}

function summarize(c: Case, method: ScaleMethod, runs: MethodRun[], notBuilt: string | undefined): ScaleRow[] {
  const parallel = MEMBER_WRITES_IN_FLIGHT * c.images;
  return OPERATIONS.map((operation): ScaleRow => {
    const base = { method, operation, command: commandOf(method, operation, parallel), ...c };
    const samples = runs.map((r) => r[operation]).filter((s): s is Sample => s !== undefined);
    const empty = {
      seconds: null,
      runSeconds: [],
      capped: false,
      requests: null,
      stateBytes: null,
      checkpointBytes: null,
      pluginPeakRssMiB: null,
    };
    if (!samples.length) {
      const failed = runs.find((r) => r.failed)?.failed;
      const why =
        notBuilt ??
        (failed
          ? `failed: ${failed}`
          : method === "raw" && operation === "check"
            ? "no drift check"
            : "after a command stopped at the limit");
      return { ...base, ...empty, notMeasured: why };
    }
    const values = (f: (s: Sample) => number | undefined) => samples.map(f).filter((x): x is number => x !== undefined);
    const med = (xs: number[]) => (xs.length ? median(xs) : null);
    const rss = values((s) => s.rssKb);
    return {
      ...base,
      seconds: median(samples.map((s) => s.seconds)),
      runSeconds: samples.map((s) => Number(s.seconds.toFixed(3))),
      capped: samples.some((s) => s.capped),
      requests: Object.fromEntries(
        [...REQUEST_KINDS, "failed" as const].map((k) => [k, median(samples.map((s) => s.requests[k]))]),
      ) as Requests,
      stateBytes: med(values((s) => s.stateBytes)),
      checkpointBytes: med(values((s) => s.checkpointBytes)),
      pluginPeakRssMiB: rss.length ? Number((Math.max(...rss) / 1024).toFixed(1)) : null,
    };
  });
}

/** The floors of the scale issue, for every case measured: ratios of the rows' medians. */
export function scaleFloors(rows: ScaleRow[]): Check[] {
  const floors: Check[] = [];
  const find = (c: Case, method: ScaleMethod, op: Operation) =>
    rows.find((r) => r.members === c.members && r.images === c.images && r.method === method && r.operation === op && r.seconds !== null);
  const cases = [...new Map(rows.map((r) => [`${r.members}x${r.images}`, { members: r.members, images: r.images }])).values()];
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
  const peers = ["opentofu", "pulumi-openstack"] as const;
  for (const c of cases) {
    const tag = `${c.images} × ${c.members / c.images}`;
    // ImageShare's floors hold from N = 1,000 on; below, the CLI's fixed cost dominates and the
    // ratios are only reported
    const floor = c.members >= 1000;
    const share = (op: Operation) => find(c, "ImageShare", op);
    const up = share("create");
    const raw = find(c, "raw", "create");
    if (up && raw) {
      const r = ratio(up.seconds!, raw.seconds!);
      floors.push({
        name: `${tag}: ImageShare up / raw HTTP's whole script`,
        expected: floor ? "<= 1.5" : "reported",
        actual: r,
        pass: r <= 1.5 || !floor,
      });
    }
    for (const peer of peers) {
      for (const [op, want, rule] of [
        ["create", 1, "faster than"],
        ["refresh", 3, "at least 3× faster than"],
        ["check", 3, "at least 3× faster than"],
        ["delete", 1, "faster than"],
      ] as const) {
        const mine = share(op);
        const theirs = find(c, peer, op);
        if (!mine || !theirs) continue;
        // a peer stopped at the limit took at least that long: its limit is its time, a lower bound,
        // so the ratio is one too: a pass holds, a miss says nothing
        const r = ratio(theirs.seconds!, mine.seconds!);
        const pass = want === 1 ? r > 1 : r >= want;
        floors.push({
          name: `${tag}: ImageShare ${op} ${rule} ${peer}${theirs.capped ? " (its time: the limit, a lower bound)" : ""}: ${peer} / ImageShare`,
          expected: (theirs.capped && !pass) || !floor ? "reported" : want === 1 ? "> 1" : `>= ${want}`,
          actual: r,
          pass: pass || theirs.capped || !floor,
        });
      }
    }
    const shareRss = up?.pluginPeakRssMiB;
    const noop = find(c, "noop", "create");
    if (c.members >= 5000 && shareRss && noop?.pluginPeakRssMiB) {
      // a no-op stopped at the limit had not reached its peak: the ratio is then an upper bound
      const r = ratio(shareRss, noop.pluginPeakRssMiB);
      floors.push({
        name: `${tag}: ImageShare plugin peak RSS / the no-op provider's${noop.capped ? " (the no-op stopped at the limit: its peak so far)" : ""}`,
        expected: noop.capped && r > 1.3 ? "reported" : "<= 1.3",
        actual: r,
        pass: r <= 1.3 || noop.capped,
      });
    }
    const member = find(c, "ImageMember", "create");
    const bridged = find(c, "pulumi-openstack", "create");
    if (member?.stateBytes && bridged?.stateBytes && !member.capped && !bridged.capped) {
      const mine = Math.round(member.stateBytes / c.members);
      const theirs = Math.round(bridged.stateBytes / c.members);
      floors.push({
        name: `${tag}: state bytes per ImageMember (${mine}) <= per bridged ImageAccess (${theirs})`,
        expected: `<= ${theirs}`,
        actual: mine,
        pass: mine <= theirs,
      });
    }
    if (member && bridged && !bridged.capped) {
      const r = ratio(member.seconds!, bridged.seconds!);
      floors.push({
        name: `${tag}: ImageMember up / bridged ImageAccess up${c.members === 1000 ? "" : " (reported)"}`,
        expected: c.members === 1000 ? "<= 1" : "reported",
        actual: r,
        pass: c.members === 1000 ? r <= 1 : true,
      });
    }
  }
  return floors;
}

/** Runs every case; progress lines go to `o.log`. */
export async function runScale(bench: BenchSetup, options: ScaleOptions = {}): Promise<ScaleResults> {
  const o: Required<ScaleOptions> = {
    sizes: options.sizes ?? [100, 1000, 5000],
    layouts: options.layouts ?? [1, 10],
    methods: options.methods ?? SCALE_METHODS,
    runs: options.runs ?? 3,
    timeLimitMs: options.timeLimitMs ?? 300_000,
    operations: OPERATIONS.filter((op) => (options.operations ?? OPERATIONS).includes(op)),
    peers: options.peers ?? {},
    cloud: options.cloud ?? "producer",
    log: options.log ?? (() => {}),
  };
  for (const n of o.sizes) {
    for (const images of o.layouts) {
      if (n % images) throw new Error(`${n} memberships cannot be spread evenly over ${images} images`);
    }
  }
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const loadavg = os.loadavg();
  const peerVersions: ScaleResults["meta"]["peers"] = {};
  const notBuilt: Partial<Record<ScaleMethod, string>> = {};
  for (const m of ["opentofu", "pulumi-openstack"] as const) {
    if (!o.methods.includes(m)) continue;
    const p = o.peers[m];
    if (!p) notBuilt[m] = "not built: not looked for";
    else if (!p.built) notBuilt[m] = `not built: ${p.reason}`;
    else
      peerVersions[m] =
        m === "opentofu"
          ? `${(p as TofuPeer).version}, terraform-provider-openstack ${(p as TofuPeer).providerVersion}`
          : `@pulumi/openstack ${PULUMI_OPENSTACK_VERSION}, bridged pulumi-resource-openstack ${(p as PulumiOpenStackPeer).pluginVersion}`;
  }
  const cases: Case[] = o.sizes.flatMap((members) => o.layouts.map((images) => ({ members, images })));
  const rows: ScaleRow[] = [];
  let step = 0;
  const total = cases.length * o.runs * o.methods.filter((m) => !notBuilt[m]).length;
  for (const c of cases) {
    const runs: Partial<Record<ScaleMethod, MethodRun[]>> = {};
    for (let run = 1; run <= o.runs; run++) {
      const order = o.methods.map((_, i) => o.methods[(i + run - 1) % o.methods.length]);
      for (const method of order) {
        if (notBuilt[method]) continue;
        const where = `[${++step}/${total}] ${c.images} × ${c.members / c.images}, run ${run}/${o.runs}, ${method}`;
        const ctx: Context = {
          bench,
          o,
          progress: (op) => {
            const started = performance.now();
            const ticker = setInterval(
              () => o.log(`${where}: ${op} still running (${((performance.now() - started) / 1000).toFixed(0)} s)`),
              30_000,
            );
            return () => {
              clearInterval(ticker);
              o.log(`${where}: ${op} ${((performance.now() - started) / 1000).toFixed(2)} s`);
            };
          },
        };
        const images: CaseImages[] = [];
        let result: MethodRun;
        try {
          for (let i = 0; i < c.images; i++) {
            const imageId = await createImage(bench.cloud.cloudsFile, o.cloud, { visibility: "shared", name: `scale-${method}-${i}` });
            images.push({ imageId, memberIds: memberIds(c.members / c.images) });
          }
          result = await runMethod(ctx, method, c, images, `${method}-${c.members}x${c.images}-${run}`);
        } catch (e) {
          if (UNCAPPED.includes(method)) throw e; // the method under test and its baseline must work
          const message = (e instanceof Error ? e.message : String(e)).split("\n").filter(Boolean).slice(0, 4).join(" / ");
          o.log(`${where}: failed: ${message}`);
          result = { failed: message };
        } finally {
          // deleting an image removes its memberships: nothing is left of a stopped or failed method
          for (const { imageId } of images) await deleteImage(bench.cloud.cloudsFile, o.cloud, imageId).catch(() => undefined);
          bench.take();
        }
        (runs[method] ??= []).push(result);
      }
    }
    for (const method of o.methods) rows.push(...summarize(c, method, runs[method] ?? [], notBuilt[method]));
  }
  return {
    meta: {
      startedAt,
      node: process.version,
      pulumi: pulumiCli().version,
      cpus: os.availableParallelism(),
      loadavg,
      loadavgEnd: os.loadavg(),
      sizes: o.sizes,
      layouts: o.layouts,
      methods: o.methods,
      runs: o.runs,
      timeLimitSeconds: o.timeLimitMs / 1000,
      memberWritesInFlight: MEMBER_WRITES_IN_FLIGHT,
      commands: COMMANDS,
      tofuCommands: TOFU_COMMANDS,
      peers: peerVersions,
    },
    rows,
    floors: scaleFloors(rows),
    ms: performance.now() - t0,
  };
}

// --- output --------------------------------------------------------------------------------------

const LAYOUT = (c: Case) => `${c.images} × ${c.members / c.images}`;
const secs = (r: ScaleRow | undefined) =>
  !r ? "" : r.seconds === null ? "–" : `${r.capped ? "≥ " : ""}${r.seconds.toFixed(r.seconds < 10 ? 2 : 1)}`;

/** The measured table as Markdown: one line per case and method. */
export function scaleTable(results: ScaleResults): string {
  const { rows } = results;
  const head = [
    "memberships",
    "layout (images × members)",
    "method",
    "up s",
    "refresh s",
    "drift check s",
    "destroy s",
    "up / raw HTTP",
    "requests (up)",
    "state KiB",
    "checkpoints written (up) MiB",
    "plugin peak RSS MiB",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 3 ? "---" : "--:")).join("|")}|`];
  const cases = [...new Map(rows.map((r) => [`${r.members}x${r.images}`, { members: r.members, images: r.images }])).values()];
  for (const c of cases) {
    const raw = rows.find((r) => r.members === c.members && r.images === c.images && r.method === "raw" && r.operation === "create");
    for (const method of results.meta.methods) {
      const of = (op: Operation) =>
        rows.find((r) => r.members === c.members && r.images === c.images && r.method === method && r.operation === op);
      const up = of("create");
      if (!up) continue;
      const kinds = up.requests
        ? (["token", "post", "getList", "getOne", "delete"] as const)
            .filter((k) => up.requests![k])
            .map((k) => `${up.requests![k]} ${k}`)
            .join(", ")
        : "";
      const cells = [
        String(c.members),
        LAYOUT(c),
        up.notMeasured?.startsWith("not built") || up.notMeasured?.startsWith("failed") ? `${method} (${up.notMeasured})` : method,
        secs(up),
        secs(of("refresh")),
        secs(of("check")),
        secs(of("delete")),
        up.seconds !== null && raw?.seconds ? `${up.capped ? "≥ " : ""}${(up.seconds / raw.seconds).toFixed(2)}` : "",
        kinds,
        up.stateBytes === null ? "" : (up.stateBytes / 1024).toFixed(0),
        up.checkpointBytes === null ? "" : (up.checkpointBytes / 1024 / 1024).toFixed(1),
        up.pluginPeakRssMiB === null ? "" : up.pluginPeakRssMiB.toFixed(0),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

/** The table, the conditions and the floors, as printed at the end of a run. */
export function formatScale(results: ScaleResults): string {
  const { meta } = results;
  const load = (l: number[] | undefined) => (l?.length ? l.map((x) => x.toFixed(2)).join(" ") : "?");
  return [
    `Memberships at scale: ${meta.runs} run(s) per case, medians; pulumi ${meta.pulumi}, file backend with checkpoints; ` +
      `--parallel = -parallelism = raw HTTP's requests in flight = ${meta.memberWritesInFlight} × images; ` +
      `peers stopped at ${meta.timeLimitSeconds} s per command ("≥": stopped, the limit is a lower bound); ` +
      `node ${meta.node}, ${meta.cpus} CPUs, load average ${load(meta.loadavg)} at the start, ${load(meta.loadavgEnd)} at the end.`,
    Object.entries(meta.peers).length
      ? `Peers: ${Object.entries(meta.peers)
          .map(([m, v]) => `${m}: ${v}`)
          .join("; ")}.`
      : "",
    "",
    scaleTable(results),
    "",
    ...results.floors.map(
      (f) => `${f.expected === "reported" ? "REPORTED" : f.pass ? "PASS" : "FAIL"}: ${f.name}: ${f.actual} (${f.expected})`,
    ),
  ]
    .filter((l, i, all) => l !== "" || all[i - 1] !== "")
    .join("\n");
}

/** Writes the results (JSON), the table (Markdown) and the chart (SVG, bench/chart.mjs). */
export function writeScale(results: ScaleResults, files: { json: string; table: string; chart: string }): void {
  fs.writeFileSync(files.json, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(files.table, `${scaleTable(results)}\n`);
  const r = spawnSync(process.execPath, [path.join(__dirname, "chart.mjs"), files.json, files.chart], { encoding: "utf8" });
  if (r.status !== 0 || !fs.existsSync(files.chart)) {
    throw new Error(`drawing the chart (bench/chart.mjs) failed: ${r.stderr || r.error?.message || "no chart written"}`);
  }
}
