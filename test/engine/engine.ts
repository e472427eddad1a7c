// An emulator of the Pulumi engine for programs whose resources are Node.js dynamic resources, for
// tests on a machine without the Pulumi CLI. It follows the real engine's rules as the team's study of
// the engine source (engine-semantics.md, cited below as §n) describes them; the comments here keep
// the conclusions, the project does not need that file: what counts as a change (§1), how refresh
// counts and what it writes (§1.3, §1.4), what runs in parallel (§2), which provider config and
// environment each command gives the plugin (§3), partial failures (§4), import (§5), `__provider` (§6).
//
// One Engine = one stack: state is a JSON file in `workDir`; each command starts its own plugin
// process(es), as the CLI does, so module caches live for one command. Programs run under the SDK's
// mock runtime with a resource monitor that turns each RegisterResource into the engine's steps
// against the real plugin host and hands the real outputs back to the program (program-host.ts,
// steps.ts).
//
//   const prog = await createProgramDir(projectPackage());           // package-under-test.ts
//   const eng = new Engine<typeof import("pulumi-image-members")>({ programDir: prog, config });
//   await eng.up((pkg) => { new pkg.ImageMember("m", { imageId, memberId }); });
//   await eng.preview(program, { refresh: true, expectNoChanges: true }); // throws EngineRunError (exit 7) on drift
import * as os from "node:os";
import * as path from "node:path";
import type { ProgramDir } from "../../harness/programs";
import { CHILD_FLAG, runInChild } from "./program-host";
import {
  EngineRunError,
  errorText,
  storedConfig,
  urnName,
  withoutUnusedProvider,
  type Program,
  type RunResult,
  type StackConfig,
  type StepOp,
  type SummaryOp,
  Run,
} from "./run";
import { Deployment, deleteResources, refreshResources } from "./steps";
import { readStateFile, writeStateFile, type ResourceState, type StackState } from "./state";

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface EngineOptions {
  /** Project directory with `@pulumi/pulumi` and the package installed (see package-under-test.ts). */
  programDir: string | ProgramDir;
  /** The module handed to function programs; defaults to the ProgramDir's package. */
  packageName?: string;
  /** Where the state file lives; defaults to `<programDir>/.pulumi-state`. */
  workDir?: string;
  project?: string;
  stack?: string;
  organization?: string;
  config?: StackConfig;
  /** Environment on top of this process's for the plugin (and the program): the "CLI's environment". */
  env?: Record<string, string | undefined>;
  /** `--parallel`; default `PULUMI_PARALLEL` if > 0, else 4 × CPU cores (§2). */
  parallel?: number;
}

/** The serializable part of an Engine (what a child process needs to build the same engine). */
export interface EngineInit extends Omit<EngineOptions, "programDir"> {
  programDir: string;
}

export interface RunOptions {
  /** Return a failed result instead of throwing EngineRunError. */
  allowFailure?: boolean;
}

export interface UpOptions extends RunOptions {
  /** `--refresh`: refresh every resource first; refresh steps are never counted (§1.4). */
  refresh?: boolean;
  /** `--expect-no-changes`: exit code 7 when the program's steps count as changes (§1.1). */
  expectNoChanges?: boolean;
}

export type PreviewOptions = UpOptions;

export interface RefreshOptions extends RunOptions {
  /** `--preview-only`: Read and Diff, write nothing. */
  previewOnly?: boolean;
  /** `--expect-no-changes`: checked after an applied refresh wrote the state, as the CLI does (§1.1). */
  expectNoChanges?: boolean;
}

// --- the engine ----------------------------------------------------------------------------------

export class Engine<P = any> {
  readonly programDir: string;
  readonly packageName: string;
  readonly workDir: string;
  readonly project: string;
  readonly stack: string;
  readonly organization: string;
  readonly parallel: number;
  /** Current stack config (what `pulumi config set` changed); mutable between commands. */
  config: StackConfig;
  env: Record<string, string | undefined>;

  constructor(opts: EngineOptions) {
    const dir = typeof opts.programDir === "string" ? opts.programDir : opts.programDir.dir;
    this.programDir = path.resolve(dir);
    const pkgName = opts.packageName ?? (typeof opts.programDir === "string" ? undefined : opts.programDir.packageName);
    if (!pkgName) throw new Error("Engine: packageName is required when programDir is a path");
    this.packageName = pkgName;
    this.workDir = path.resolve(opts.workDir ?? path.join(this.programDir, ".pulumi-state"));
    this.project = opts.project ?? "test-project";
    this.stack = opts.stack ?? "dev";
    this.organization = opts.organization ?? "";
    this.config = { ...(opts.config ?? {}) };
    this.env = { ...(opts.env ?? {}) };
    this.parallel = opts.parallel ?? defaultParallel();
  }

  get statePath(): string {
    return path.join(this.workDir, `${this.stack}.json`);
  }

  readState(): StackState {
    return readStateFile(this.statePath);
  }

  writeState(state: StackState): void {
    writeStateFile(this.statePath, state);
  }

  /** The live (not replaced) state entry for a name or URN. */
  resource(nameOrUrn: string): ResourceState | undefined {
    return this.readState().resources.find((r) => !r.delete && (r.urn === nameOrUrn || urnName(r.urn) === nameOrUrn));
  }

  /** The URN the engine gives `name` of `type` under the given ancestors' types (outermost first). */
  urn(type: string, name: string, ancestorTypes: string[] = []): string {
    return `urn:pulumi:${this.stack}::${this.project}::${[...ancestorTypes, type].join("$")}::${name}`;
  }

  toInit(): EngineInit {
    return {
      programDir: this.programDir,
      packageName: this.packageName,
      workDir: this.workDir,
      project: this.project,
      stack: this.stack,
      organization: this.organization,
      config: this.config,
      env: this.env,
      parallel: this.parallel,
    };
  }

  /** `pulumi up [--refresh] [--expect-no-changes]`. */
  up(program: Program<P>, opts: UpOptions = {}): Promise<RunResult> {
    return this.deploy("up", program, opts);
  }

  /** `pulumi preview [--refresh] [--expect-no-changes]`. The dynamic provider does not support
   *  preview (Configure says supportsPreview=false), so Create/Update are never called: the engine
   *  hands the checked inputs back as outputs, and other outputs are unknown to the program. */
  preview(program: Program<P>, opts: PreviewOptions = {}): Promise<RunResult> {
    return this.deploy("preview", program, opts);
  }

  /** `pulumi refresh [--preview-only] [--expect-no-changes]`, without running the program. */
  async refresh(opts: RefreshOptions = {}): Promise<RunResult> {
    const run = new Run(this, "refresh", !!opts.previewOnly);
    try {
      const base = this.readState();
      // §3.1: without the program, providers come from state: the config stored by the last `up`.
      const refreshed = await refreshResources(run, base.resources, storedConfig(base), true);
      if (!run.dryRun) this.writeState({ version: 1, resources: refreshed });
    } catch (e) {
      run.fail(errorText(e));
    } finally {
      await run.hosts.stopAll();
    }
    return settle(run, opts.expectNoChanges, opts.allowFailure);
  }

  /** `pulumi destroy`: deletes everything, dependents first, with the stored provider config. */
  async destroy(opts: RunOptions = {}): Promise<RunResult> {
    const run = new Run(this, "destroy", false);
    try {
      const base = this.readState();
      const remaining = await deleteResources(run, base.resources, base.resources, storedConfig(base), "delete");
      this.writeState({ version: 1, resources: withoutUnusedProvider(remaining) });
    } catch (e) {
      run.fail(errorText(e));
    } finally {
      await run.hosts.stopAll();
    }
    return settle(run, false, opts.allowFailure);
  }

  private async deploy(command: "up" | "preview", program: Program<P>, opts: UpOptions): Promise<RunResult> {
    if (typeof program !== "function" && process.env[CHILD_FLAG] !== "1") {
      return runInChild(this, command, program, opts);
    }
    const run = new Run(this, command, command === "preview");
    try {
      let base = this.readState().resources;
      if (opts.refresh) {
        // §1.4: refresh every resource first with the stored provider config; these steps never
        // count. A failed Read fails the command before the program runs.
        base = await refreshResources(run, base, storedConfig({ version: 1, resources: base }), false);
      }
      if (!run.failed) {
        const deployment = new Deployment(run, base);
        await deployment.runProgram(program);
        const final = await deployment.finish();
        if (!run.dryRun) this.writeState({ version: 1, resources: final });
      }
    } catch (e) {
      run.fail(errorText(e));
    } finally {
      await run.hosts.stopAll();
    }
    return settle(run, opts.expectNoChanges, opts.allowFailure);
  }
}

function defaultParallel(): number {
  const env = Number(process.env.PULUMI_PARALLEL);
  return env > 0 ? env : 4 * os.availableParallelism();
}

function settle(run: Run, expectNoChanges: boolean | undefined, allowFailure: boolean | undefined): RunResult {
  const summary: Partial<Record<SummaryOp, number>> = {};
  for (const step of run.steps) {
    if (!step.counted) continue;
    const op = summaryOp(step.op);
    summary[op] = (summary[op] ?? 0) + 1;
  }
  // §1.2 HasChanges: every op except same/read counts.
  const hasChanges = Object.entries(summary).some(([op, n]) => op !== "same" && (n ?? 0) > 0);
  let exitCode = 0;
  let message: string | undefined;
  const operation = run.command === "up" ? "update" : run.command;
  if (run.errors.length) {
    exitCode = 1;
    message = `${operation} failed:\n${run.errors.map((e) => `  ${e}`).join("\n")}`;
  } else if (expectNoChanges && hasChanges) {
    // backenderr.NoChangesExpectedError → exit code 7 (exit_codes.go ExitNoChanges).
    exitCode = 7;
    const changed = run.steps.filter((s) => s.counted && summaryOp(s.op) !== "same");
    message =
      `no changes were expected for ${operation} but changes were proposed\n` +
      changed.map((s) => `  ${summaryOp(s.op)} ${s.urn}${s.diffKeys.length ? ` [${s.diffKeys.join(", ")}]` : ""}`).join("\n");
  }
  const result: RunResult = {
    command: run.command,
    dryRun: run.dryRun,
    ok: exitCode === 0,
    exitCode,
    message,
    steps: run.steps,
    summary,
    hasChanges,
    outputs: run.outputs,
    errors: run.errors,
    pluginOutput: run.output,
    pluginPids: run.hosts.pids,
    programOutput: run.programOutput,
  };
  if (!result.ok && !allowFailure) throw new EngineRunError(result);
  return result;
}

function summaryOp(op: StepOp): SummaryOp {
  switch (op) {
    case "refresh-same":
      return "same";
    case "refresh-update":
      return "update";
    case "refresh-delete":
    case "delete-replaced":
      return "delete";
    default:
      return op;
  }
}

export { EngineRunError } from "./run";
export type {
  Command,
  ConfigValue,
  Program,
  ProgramContext,
  ProgramFile,
  ProgramFunction,
  RunResult,
  StackConfig,
  Step,
  StepOp,
  SummaryOp,
} from "./run";
export { UNKNOWN, secret, isSecret, stripSecrets } from "./wire";
export type { ResourceState, StackState } from "./state";
export type { PluginOutputLine } from "./plugin";
