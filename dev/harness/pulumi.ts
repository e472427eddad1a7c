// Stacks run by the real Pulumi CLI (dev/pulumi-cli.sh finds or builds it), with a local file
// backend inside the program directory, a passphrase secrets provider, no update checks and no
// plugin downloads.
//
// Two kinds of program:
// - the project folder's own program (`{}`: examples, the root Pulumi.yaml, the demo, the
//   benchmark's stacks): a plain `pulumi up/preview/refresh/destroy` in the folder, as a user runs
//   it. The CLI starts the Node.js language host `pulumi-language-nodejs` (the one dev/pulumi-cli.sh
//   provides, first on PATH), which runs Pulumi.yaml's `main` with the folder's @pulumi/pulumi.
// - a function (tests that close over what they create at run time): an Automation-API-style inline
//   program. The CLI runs `pulumi ... --client=<addr>` and the language runtime is @pulumi/pulumi's
//   own inline-program server, in this process. The Automation API and the program's package are
//   loaded from the program directory, so program, package and SDK are the copies a user's install
//   has, and the serialized provider each resource stores requires the package from node_modules
//   as in a user's program.
//
//   const prog = await createProgramDir(projectPackage(), { label: "producer" });
//   const stack = await PulumiStack.create<typeof import("pulumi-image-members")>({ programDir: prog, config });
//   await stack.up((pkg) => { new pkg.ImageMember("m", { imageId, memberId }); });
//   await stack.up({}); // the folder's own program, through pulumi-language-nodejs
//   await stack.preview(program, { refresh: true, expectNoChanges: true }); // throws PulumiRunError (exit 7) on drift
//   await stack.refresh({ previewOnly: true, expectNoChanges: true });
//   await stack.destroy(); await stack.remove();
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { constants as osConstants } from "node:os";
import * as path from "node:path";
import { type ProcessSample, ProcessWatcher } from "./processes";
import { type ProgramDir, REPO_ROOT } from "./programs";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Pulumi = typeof import("@pulumi/pulumi");

// --- the CLI -------------------------------------------------------------------------------------

export interface PulumiCli {
  /** Directory holding `pulumi` (and, when built here, `pulumi-resource-pulumi-nodejs` and
   *  `pulumi-language-nodejs`; a `pulumi` from PATH may have them elsewhere on PATH). */
  binDir: string;
  /** What `pulumi version` prints, e.g. `v3.274.1`. */
  version: string;
  /** The `pulumi-language-nodejs` the CLI starts for a folder program: beside `pulumi`, else PATH's. */
  languageHost: string;
}

let cli: PulumiCli | undefined;

/** The project's Pulumi CLI (built from Go modules first when none is on PATH; progress on stderr). */
export function pulumiCli(): PulumiCli {
  if (!cli) {
    const binDir = execFileSync("bash", [path.join(REPO_ROOT, "dev", "pulumi-cli.sh"), "bin"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    const version = execFileSync(path.join(binDir, "pulumi"), ["version"], {
      encoding: "utf8",
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    }).trim();
    const languageHost = [binDir, ...(process.env.PATH ?? "").split(path.delimiter)]
      .filter(Boolean)
      .map((d) => path.join(d, LANGUAGE_HOST))
      .find((f) => isExecutable(f));
    if (!languageHost)
      throw new Error(`no ${LANGUAGE_HOST} beside ${binDir}/pulumi or on PATH (dev/pulumi-cli.sh bin should not have chosen it)`);
    cli = { binDir, version, languageHost };
  }
  return cli;
}

const LANGUAGE_HOST = "pulumi-language-nodejs";

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The Node.js language host processes a command started (a folder program runs under one; an
 *  inline program under none). A host's own children are node processes: one sampled between fork
 *  and exec still shows the host's argv, and is not counted. */
export function languageHosts(processes: ProcessSample[]): ProcessSample[] {
  const isHost = (p: ProcessSample) => new RegExp(`(^|/)${LANGUAGE_HOST}(\\s|$)`).test(p.command);
  const hostPids = new Set(processes.filter(isHost).map((p) => p.pid));
  return processes.filter((p) => isHost(p) && !hostPids.has(p.ppid));
}

/** The environment every command gets: offline, file backend, passphrase secrets. */
export function offlineEnv(backendDir: string, home: string): Record<string, string> {
  return {
    // metadata=skip: no `<file>.attrs` sidecars (gocloud's fileblob writes them in place, so a kill
    // at the wrong moment leaves an empty one and every later command fails "failed to load
    // checkpoint: EOF"); the checkpoint itself is written to a temp file and renamed
    PULUMI_BACKEND_URL: `file://${backendDir}?metadata=skip`,
    PULUMI_HOME: home,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // registers `--event-log` (pkg/cmd/pulumi/operations/up.go): the engine events the harness reads
    PULUMI_DEBUG_COMMANDS: "true",
  };
}

/** The passphrase of every test stack's secrets provider (not a secret of the clouds under test). */
const PASSPHRASE = "image-members-test-passphrase";

// --- results -------------------------------------------------------------------------------------

export type Command = "up" | "preview" | "refresh" | "destroy";

/** A step as the CLI reports it in its engine events. `op` is the CLI's, except that a refresh step's
 *  is `refresh-same`, `refresh-update` or `refresh-delete` by what the refresh found (the op of the
 *  outputs event that follows the `refresh` step event). */
export interface Step {
  op: string;
  urn: string;
  type: string;
  name: string;
  /** Top-level properties that differ (`diffs` of the step event). */
  diffKeys: string[];
  /** Properties whose change forces a replacement. */
  replaceKeys: string[];
  error?: string;
}

export interface RunResult {
  command: Command;
  dryRun: boolean;
  ok: boolean;
  /** The CLI's exit code: 0; 7 when `--expect-no-changes` saw changes; other non-zero on failure. */
  exitCode: number;
  /** The error diagnostics (and the CLI's closing error line) when not ok. */
  message?: string;
  steps: Step[];
  /** The CLI's change summary (op → count). */
  summary: Record<string, number>;
  /** The stack outputs after `up` (plain values). */
  outputs: Record<string, unknown>;
  /** Diagnostics with severity error, as printed. */
  errors: string[];
  /** Everything the CLI printed, and every diagnostic (plugin output included): what secret scans read. */
  output: string;
  /** What the CLI itself printed on stdout (its preview/update display) and on stderr (its closing error). */
  stdout: string;
  stderr: string;
  /** The dynamic-provider plugin processes the command started, with their peak RSS. */
  plugins: ProcessSample[];
  /** Every process the command started (plugins of any kind included), with peak RSS and CPU. */
  processes: ProcessSample[];
  /** Those of `processes` still running when the CLI exited (a killed CLI's plugins), which the
   *  harness then stopped. */
  leftRunning: ProcessSample[];
  /** The engine events the CLI wrote (`--event-log`). */
  events: any[];
  /** Wall time of the command. */
  ms: number;
}

export class PulumiRunError extends Error {
  constructor(readonly result: RunResult) {
    super(
      `pulumi ${result.command}${result.dryRun && result.command !== "preview" ? " (preview)" : ""} exited with ${result.exitCode}: ${result.message ?? ""}`,
    );
  }
}

// --- stacks --------------------------------------------------------------------------------------

export type ConfigValue = string | { secret: string };
export type StackConfig = Record<string, ConfigValue>;

export interface ProgramContext {
  pulumi: Pulumi;
  programDir: string;
  require: NodeJS.Require;
}
/** A program as a function of the package under test, loaded from the program directory (an
 *  inline program of this process). Its return value is the stack outputs. */
export type ProgramFunction<P> = (pkg: P, ctx: ProgramContext) => unknown;
/** The project folder's own program (`{}`), run by a plain `pulumi up` in the folder: the CLI's
 *  Node.js language host runs Pulumi.yaml's `main`, else package.json's entry point (`index.js`, or
 *  `index.ts` through ts-node with the folder's tsconfig.json). */
export type ProgramFile = Record<string, never>;
export type Program<P> = ProgramFunction<P> | ProgramFile;

/** A project folder: a program directory made by programs.ts, or any folder with the package
 *  installed (the repository itself) — the latter is never removed. */
export type ProjectDir = ProgramDir | { dir: string; packageName: string };

export interface StackOptions {
  programDir: ProjectDir;
  /** The file backend's directory (default: `.pulumi-state` in the project folder). */
  stateDir?: string;
  project?: string;
  stack?: string;
  config?: StackConfig;
  /** Environment of every command (the CLI passes it on to the language host, the program and the
   *  plugin); a value `undefined` removes the variable. */
  env?: Record<string, string | undefined>;
  /** `--parallel` (the CLI's default when unset). */
  parallel?: number;
}

export interface RunOptions {
  /** Return a failed result instead of throwing PulumiRunError. */
  allowFailure?: boolean;
  /** Called once the CLI process has started (it leads its own process group: `-pid` signals all of it). */
  onStart?: (cli: ChildProcess) => void;
}
export interface UpOptions extends RunOptions {
  refresh?: boolean;
  expectNoChanges?: boolean;
  /** `up` only: preview first, as a plain `pulumi up --yes` does (default: `--skip-preview`). */
  withPreview?: boolean;
  /** `--diff`: the CLI prints each changed property's old and new values (in `stdout`). */
  diff?: boolean;
}
export interface RefreshOptions extends RunOptions {
  previewOnly?: boolean;
  expectNoChanges?: boolean;
}

export class PulumiStack<P = any> {
  /** The program the last `up` or `preview` ran (refresh and destroy serve it too). */
  private lastProgram: Program<P> = () => ({});

  private constructor(
    readonly programDir: ProjectDir,
    readonly project: string,
    readonly stackName: string,
    readonly backendDir: string,
    readonly env: Record<string, string>,
    private readonly pulumi: Pulumi,
    private readonly pkg: P,
    private readonly parallel: number | undefined,
  ) {}

  /** `pulumi stack init` in the program directory, then `pulumi config set [--secret]` per key. */
  static async create<P = any>(opts: StackOptions): Promise<PulumiStack<P>> {
    const { binDir } = pulumiCli();
    const dir = opts.programDir.dir;
    const req = createRequire(path.join(dir, "package.json"));
    const project = opts.project ?? "test-project";
    const stackName = opts.stack ?? "dev";
    const backendDir = opts.stateDir ?? path.join(dir, ".pulumi-state");
    const home = path.join(backendDir, ".pulumi-home");
    fs.mkdirSync(backendDir, { recursive: true });
    fs.mkdirSync(home, { recursive: true });
    if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^PULUMI_/.test(k)) env[k] = v;
    Object.assign(env, offlineEnv(backendDir, home), { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` });
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const self = new PulumiStack<P>(
      opts.programDir,
      project,
      stackName,
      backendDir,
      env,
      req("@pulumi/pulumi"),
      req(opts.programDir.packageName),
      opts.parallel,
    );
    await self.cli(["stack", "init", stackName, "--secrets-provider", "passphrase"]);
    for (const [key, value] of Object.entries(opts.config ?? {})) await self.setConfig(key, value);
    return self;
  }

  /** Runs `pulumi ARGS` in the program directory; rejects when it exits non-zero. */
  async cli(args: string[], opts: { input?: string } = {}): Promise<{ stdout: string; stderr: string }> {
    const r = await spawnCli(this.env, this.programDir.dir, args, opts.input);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${r.code}: ${r.stderr || r.stdout}`);
    return r;
  }

  /** `pulumi config set KEY [--secret]`, the value on stdin (so it is in no process list); a key
   *  with a path (`proj:shares[0].imageId`) is set with `--path`, as README's examples do. */
  async setConfig(key: string, value: ConfigValue): Promise<void> {
    const secret = typeof value !== "string";
    const flags = [...(secret ? ["--secret"] : []), ...(/[[.]/.test(key.slice(key.indexOf(":") + 1)) ? ["--path"] : [])];
    await this.cli(["config", "set", key, ...flags, "--stack", this.stackName], { input: secret ? value.secret : value });
  }

  async removeConfig(key: string): Promise<void> {
    await this.cli(["config", "rm", key, "--stack", this.stackName]);
  }

  up(program: Program<P>, opts: UpOptions = {}): Promise<RunResult> {
    this.lastProgram = program;
    const preview = opts.withPreview ? [] : ["--skip-preview"];
    return this.run(
      "up",
      false,
      [
        "up",
        "--yes",
        ...preview,
        ...flag(opts.refresh, "--refresh"),
        ...flag(opts.expectNoChanges, "--expect-no-changes"),
        ...flag(opts.diff, "--diff"),
      ],
      opts,
    );
  }

  preview(program: Program<P>, opts: UpOptions = {}): Promise<RunResult> {
    this.lastProgram = program;
    return this.run(
      "preview",
      true,
      ["preview", ...flag(opts.refresh, "--refresh"), ...flag(opts.expectNoChanges, "--expect-no-changes"), ...flag(opts.diff, "--diff")],
      opts,
    );
  }

  refresh(opts: RefreshOptions = {}): Promise<RunResult> {
    const args = [
      "refresh",
      ...(opts.previewOnly ? ["--preview-only"] : ["--yes", "--skip-preview"]),
      ...flag(opts.expectNoChanges, "--expect-no-changes"),
    ];
    return this.run("refresh", !!opts.previewOnly, args, opts);
  }

  destroy(opts: RunOptions = {}): Promise<RunResult> {
    return this.run("destroy", false, ["destroy", "--yes", "--skip-preview"], opts);
  }

  /** `pulumi stack export`: the deployment (secrets encrypted). */
  async exportState(): Promise<any> {
    return JSON.parse((await this.cli(["stack", "export", "--stack", this.stackName])).stdout).deployment;
  }

  /** `pulumi stack import --file`: replaces the stack's state with `deployment` (a `stack export`'s). */
  async importState(deployment: unknown): Promise<void> {
    const file = path.join(this.backendDir, `.import-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ version: 3, deployment }));
    try {
      await this.cli(["stack", "import", "--file", file, "--stack", this.stackName]);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** The state file the file backend keeps. */
  get statePath(): string {
    return path.join(this.backendDir, ".pulumi", "stacks", this.project, `${this.stackName}.json`);
  }

  /** The resources of the last checkpoint. */
  resources(): any[] {
    if (!fs.existsSync(this.statePath)) return [];
    return JSON.parse(fs.readFileSync(this.statePath, "utf8")).checkpoint?.latest?.resources ?? [];
  }

  /** The last checkpoint's resources, as `{ resources }`. */
  readState(): { resources: any[] } {
    return { resources: this.resources() };
  }

  /** The URN a resource of this type and name gets, under parents of `ancestorTypes` (outermost first). */
  urn(type: string, name: string, ancestorTypes: string[] = []): string {
    return `urn:pulumi:${this.stackName}::${this.project}::${[...ancestorTypes, type].join("$")}::${name}`;
  }

  /** The resource of that name (or URN) in the state. */
  resource(nameOrUrn: string): any | undefined {
    return this.resources().find((r) => r.urn === nameOrUrn || urnName(r.urn) === nameOrUrn);
  }

  /** `pulumi stack rm --yes` (when nothing but the stack is left), then the program directory goes. */
  async remove(): Promise<void> {
    const left = this.resources().filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
    if (left.length === 0) await this.cli(["stack", "rm", "--yes", "--stack", this.stackName]).catch(() => undefined);
    if ("remove" in this.programDir) this.programDir.remove();
  }

  private async run(command: Command, dryRun: boolean, args: string[], opts: RunOptions): Promise<RunResult> {
    const started = Date.now();
    const eventLog = path.join(this.backendDir, `.events-${process.pid}-${++eventCounter}.jsonl`);
    const program = this.lastProgram;
    // a folder program: the CLI starts the language host itself; an inline one: served from here
    const served = typeof program === "function" ? await serveProgram(this.programDir.dir, this.inline(program)) : undefined;
    const full = [
      ...args,
      "--stack",
      this.stackName,
      "--non-interactive",
      "--color",
      "never",
      ...(served ? [`--client=${served.address}`] : []),
      "--event-log",
      eventLog,
    ];
    if (this.parallel) full.push("--parallel", String(this.parallel));
    let r: CliExit | undefined;
    try {
      r = await spawnCli(this.env, this.programDir.dir, full, undefined, opts.onStart);
    } finally {
      await served?.close(r?.code !== 0);
    }
    const events = readEvents(eventLog);
    fs.rmSync(eventLog, { force: true });
    const result = resultOf(command, dryRun, r, events, Date.now() - started);
    if (command === "up" && result.ok) result.outputs = this.stackOutputs();
    if (!result.ok && !opts.allowFailure) throw new PulumiRunError(result);
    return result;
  }

  /** The stack's outputs in the state (secrets stay encrypted objects). */
  private stackOutputs(): Record<string, unknown> {
    return this.resources().find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
  }

  private inline(program: ProgramFunction<P>): () => Promise<unknown> {
    const ctx: ProgramContext = {
      pulumi: this.pulumi,
      programDir: this.programDir.dir,
      require: createRequire(path.join(this.programDir.dir, "package.json")),
    };
    return async () => (await program(this.pkg, ctx)) ?? {};
  }
}

let eventCounter = 0;

const flag = (on: boolean | undefined, name: string): string[] => (on ? [name] : []);

/** Serves `program` as the language runtime of one CLI command (`--client=<address>`), with the
 *  program directory's own @pulumi/pulumi: the Automation API's inline-program server. */
interface ServedProgram {
  address: string;
  close(hasError: boolean): Promise<void>;
}

async function serveProgram(dir: string, program: () => Promise<unknown>): Promise<ServedProgram> {
  const req = createRequire(path.join(dir, "package.json"));
  const grpc = req("@grpc/grpc-js");
  const { LanguageServer } = req("@pulumi/pulumi/automation/server");
  const langrpc = req("@pulumi/pulumi/proto/language_grpc_pb");
  const runtime = req("@pulumi/pulumi/runtime");
  const { grpcChannelOptions } = runtime;
  // The program's engine and monitor clients take their connections from grpc-js's process-wide
  // subchannel pool, which keeps a closed client's failed connection for up to 10 s. When the OS
  // gives a new command's engine the port an earlier command's engine had, the program is handed
  // that dead connection and fails at once ("14 UNAVAILABLE: No connection established. Last
  // error: null"), seen under load. Each client of this test process gets its own connections.
  runtime.grpcClientOptions["grpc.use_local_subchannel_pool"] = 1;
  const server = new grpc.Server({ ...grpcChannelOptions });
  // The program keeps running when the CLI stops early (a failed check): close() waits for it, so
  // its last calls cannot land in the next command's run (the runtime's state is per process).
  let running: Promise<unknown> | undefined;
  // A run whose program waits on a resource the engine gave up on never ends, and keeps the
  // uncaught-error handlers it added: close() removes them, so they cannot report a later run's errors.
  const handlersBefore = new Set([...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")]);
  const language = new LanguageServer(() => (running = program()));
  server.addService(langrpc.LanguageRuntimeService, language);
  const port: number = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: async (hasError) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running?.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 30_000)))]);
      clearTimeout(timer);
      for (const l of process.listeners("uncaughtException")) if (!handlersBefore.has(l)) process.off("uncaughtException", l);
      for (const l of process.listeners("unhandledRejection")) if (!handlersBefore.has(l)) process.off("unhandledRejection", l);
      language.onPulumiExit(hasError);
      server.forceShutdown();
    },
  };
}

interface CliExit {
  code: number;
  stdout: string;
  stderr: string;
  /** The dynamic-provider plugin processes the command started. */
  plugins: ProcessSample[];
  /** Every descendant process seen. */
  processes: ProcessSample[];
  /** Those still running after the CLI exited, which the harness stopped. */
  leftRunning: ProcessSample[];
}

/** Runs the CLI as the leader of its own process group and session (so a test can signal the whole
 *  group, and the processes it starts can be found after it is gone). Once it has exited, every
 *  process it started that still runs is stopped: a killed CLI leaves its plugins running. */
function spawnCli(
  env: Record<string, string>,
  cwd: string,
  args: string[],
  input?: string,
  onStart?: (cli: ChildProcess) => void,
): Promise<CliExit> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, { cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const watcher = child.pid ? new ProcessWatcher(child.pid) : undefined;
    onStart?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const exited = { code: code ?? 128 + (signal ? osConstants.signals[signal] : 0), stdout, stderr };
      (watcher?.stopLeftovers() ?? Promise.resolve([])).then(
        (leftRunning) => resolve({ ...exited, plugins: watcher?.plugins() ?? [], processes: watcher?.processes() ?? [], leftRunning }),
        reject,
      );
    });
    child.stdin.end(input ?? "");
  });
}

function readEvents(file: string): any[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

function resultOf(command: Command, dryRun: boolean, r: CliExit, events: any[], ms: number): RunResult {
  const steps: Step[] = [];
  const last = (urn: string) => [...steps].reverse().find((s) => s.urn === urn);
  const errors: string[] = [];
  let summary: Record<string, number> = {};
  let output = `${r.stdout}\n${r.stderr}\n`;
  for (const e of events) {
    if (e.resourcePreEvent) {
      steps.push(stepOf(e.resourcePreEvent.metadata));
    } else if (e.resOutputsEvent) {
      const m = e.resOutputsEvent.metadata;
      const s = last(m.urn);
      if (s?.op === "refresh") Object.assign(s, { op: refreshOutcome(m), diffKeys: m.diffs ?? [] });
    } else if (e.resOpFailedEvent) {
      const s = last(e.resOpFailedEvent.metadata.urn);
      if (s) s.error ??= "failed";
    } else if (e.diagnosticEvent) {
      const d = e.diagnosticEvent;
      if (d.severity === "debug") continue;
      output += `${d.severity} ${d.urn ?? ""} ${d.message}\n`;
      if (d.severity === "error") {
        errors.push(stripAnsi(d.message));
        const s = d.urn && last(d.urn);
        if (s) s.error = stripAnsi(d.message);
      }
    } else if (e.summaryEvent) {
      summary = { ...e.summaryEvent.resourceChanges };
    }
  }
  const closing = r.stderr.split("\n").filter((l) => /^error: /.test(l.trim()));
  return {
    command,
    dryRun,
    ok: r.code === 0,
    exitCode: r.code,
    message: r.code === 0 ? undefined : [...errors, ...closing].join("\n") || r.stderr || r.stdout,
    steps,
    summary,
    outputs: {},
    errors,
    output,
    stdout: r.stdout,
    stderr: r.stderr,
    plugins: r.plugins,
    processes: r.processes,
    leftRunning: r.leftRunning,
    events,
    ms,
  };
}

function stepOf(m: any): Step {
  return {
    op: m.op,
    urn: m.urn,
    type: m.type,
    name: urnName(m.urn),
    diffKeys: m.diffs ?? [],
    replaceKeys: m.keys ?? [],
  };
}

/** What a refresh found. `pulumi refresh` says it as the outputs event's op (same, update, delete);
 *  in `preview --refresh` / `up --refresh` that op stays `refresh`, and the states tell. */
function refreshOutcome(m: any): string {
  if (m.op !== "refresh") return `refresh-${m.op}`;
  if (!m.new) return "refresh-delete";
  return JSON.stringify(m.old?.outputs ?? {}) === JSON.stringify(m.new.outputs ?? {}) ? "refresh-same" : "refresh-update";
}

export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

function stripAnsi(s: string): string {
  return s.replace(/\u001b\[[0-9;]*m/g, "").trim();
}
