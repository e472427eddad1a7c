// Where programs run. In this process: under the SDK's mock runtime with a resource monitor that hands
// each registration to the engine (steps.ts). Program files: in a child process set up like Pulumi's
// Node language host (child-runner.js), which runs this same engine there.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { Engine, UpOptions } from "./engine";
import { EngineRunError, errorText, type Program, type ProgramFile, type Run, type RunResult } from "./run";
import type { LoadedSdk, ProtoModule } from "./sdk";
import type { Registered } from "./steps";
import { dropUndefined, isSecret, stripSecrets, type PropertyMap } from "./wire";

/* eslint-disable @typescript-eslint/no-explicit-any */

// --- the resource monitor ------------------------------------------------------------------------

/** What a registration resolves to when the run failed: the monitor then never answers. */
export const UNANSWERED = Symbol("unanswered");

export interface MonitorHooks {
  register(req: ProtoModule): Promise<Registered | typeof UNANSWERED>;
  registerOutputs(urn: string, outputs: PropertyMap): void;
}

/**
 * A resource monitor built on the SDK's MockMonitor (for the plumbing: packages, transforms
 * registration, invokes of `getResource`), reading the raw RegisterResourceRequest so secrets, unknowns,
 * dependencies and options survive. It advertises only the secrets feature: transforms, hooks, aliases
 * and resource references are engine work the emulator does not do, and an SDK that knows the engine
 * lacks them fails or falls back instead of being silently ignored.
 */
export function createMonitor(sdk: LoadedSdk, hooks: MonitorHooks): object {
  const Base = sdk.mocks.MockMonitor as new (mocks: object) => any;
  const { resproto, structproto, emptyproto } = sdk;
  class EngineMonitor extends Base {
    registerResource(req: ProtoModule, callback: (err: unknown, resp?: unknown) => void): void {
      void hooks.register(req).then((r) => {
        // After a failure, like the real engine, never answer: the program is abandoned rather than fed
        // rejections nobody handles.
        if (r === UNANSWERED) return;
        const resp = new resproto.RegisterResourceResponse();
        resp.setUrn(r.urn);
        resp.setId(r.id);
        resp.setObject(structproto.Struct.fromJavaScript(dropUndefined(r.outputs)));
        callback(null, resp);
      });
    }
    registerResourceOutputs(req: ProtoModule, callback: (err: unknown, resp?: unknown) => void): void {
      hooks.registerOutputs(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
      callback(null, new emptyproto.Empty());
    }
    readResource(_req: ProtoModule, callback: (err: unknown) => void): void {
      callback(new Error("the engine emulator does not support reading resources (the `id` option / Resource.get)"));
    }
    supportsFeature(req: ProtoModule, callback: (err: unknown, resp?: unknown) => void): void {
      const has = req.getId() === "secrets";
      callback(null, { getHassupport: () => has });
    }
    getDeploymentInfo(_req: unknown, callback: (err: unknown, resp?: unknown) => void): void {
      const resp = new resproto.DeploymentInfo();
      resp.setSupportedfeaturesList([resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_SECRETS]);
      callback(null, resp);
    }
  }
  return new EngineMonitor({
    call: (args: { token: string }) => {
      throw new Error(`invoke ${args.token} is not supported by the engine emulator (dynamic providers cannot serve invokes)`);
    },
    newResource: () => {
      throw new Error("unreachable: registrations are handled by the engine monitor");
    },
  });
}

// --- the program run -----------------------------------------------------------------------------

/** The SDK's runtime state is process-global: one in-process program at a time. */
let programLock: Promise<unknown> = Promise.resolve();

/**
 * Runs the program under the SDK's mock runtime with our monitor, as Pulumi's language host would
 * (runInPulumiStack; a main module's exports are the stack outputs). While it runs, this process's
 * unhandled rejections and uncaught exceptions belong to the program, as they do under the language
 * host: they fail the run instead of reaching the surrounding test runner.
 */
export async function runProgramInProcess(
  run: Run,
  sdk: LoadedSdk,
  monitor: object,
  program: Program<any>,
): Promise<void> {
  const release = await acquire();
  const engine = run.engine;
  const savedEnv = { ...process.env };
  const label = typeof program === "function" ? "<function program>" : program.file;
  installErrorDispatcher();
  activeProgram = (err: unknown) => {
    const message = `Running program '${label}' failed with an unhandled exception:\n${errorText(err)}`;
    if (!run.errors.includes(message)) run.fail(message);
  };
  try {
    for (const [k, v] of Object.entries(engine.env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    sdk.settings.setMockOptions(monitor, engine.project, engine.stack, run.dryRun, engine.organization);
    // The SDK serialises its RPCs only when parallel is 1 (settings.ts serialize()); the language host
    // passes `--parallel` as PULUMI_NODEJS_PARALLEL.
    sdk.state.getStore().settings.options.parallel = engine.parallel === 1 ? 1 : engine.parallel;
    const plain = Object.fromEntries(Object.entries(engine.config).map(([k, v]) => [k, String(stripSecrets(v))]));
    sdk.pulumi.runtime.setAllConfig(plain, Object.keys(engine.config).filter((k) => isSecret(engine.config[k])));
    const programRequire = createRequire(path.join(engine.programDir, "package.json"));
    const main = async () => {
      if (typeof program === "function") {
        const pkg = programRequire(engine.packageName);
        return program(pkg, { pulumi: sdk.pulumi, programDir: engine.programDir, require: programRequire });
      }
      const file = path.resolve(engine.programDir, program.file);
      const fileRequire = createRequire(file);
      delete fileRequire.cache[fileRequire.resolve(file)];
      const exported = fileRequire(file);
      return exported instanceof Function ? exported() : exported;
    };
    // A failed run abandons the program (its registrations stay unanswered), so stop waiting then.
    const failed = run.failure.then(() => FAILED);
    if ((await Promise.race([sdk.pulumi.runtime.runInPulumiStack(main), failed])) === FAILED) return;
    await Promise.race([sdk.settings.waitForRPCs(), failed]);
  } catch (e) {
    reportProgramError(e);
  } finally {
    // Let this run's rejections surface while they still count as the program's.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    activeProgram = undefined;
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    release();
  }
}

/** Where unhandled errors go while a program runs. */
let activeProgram: ((err: unknown) => void) | undefined;

/** Errors already reported as a program's: the same error surfaces once per promise that carried it
 *  (cmd/run dedupes the same way), sometimes after its run ended; it is not reported twice. */
const reportedErrors = new WeakSet<object>();

function reportProgramError(err: unknown): void {
  if (err !== null && typeof err === "object") {
    if (reportedErrors.has(err)) return;
    reportedErrors.add(err);
  }
  activeProgram?.(err);
}

let dispatcherInstalled = false;

/**
 * Puts one dispatcher in front of this process's `unhandledRejection`/`uncaughtException` listeners
 * (the test runner's): errors of a running program go to that program's run, errors a program already
 * reported are dropped, anything else reaches the original listeners (or Node's default behaviour).
 */
function installErrorDispatcher(): void {
  if (dispatcherInstalled) return;
  dispatcherInstalled = true;
  for (const event of ["unhandledRejection", "uncaughtException"] as const) {
    const originals = process.listeners(event as "unhandledRejection") as ((...args: unknown[]) => void)[];
    process.removeAllListeners(event);
    process.on(event as "unhandledRejection", (err: unknown, ...rest: unknown[]) => {
      if (err !== null && typeof err === "object" && reportedErrors.has(err)) return;
      if (activeProgram) return reportProgramError(err);
      if (originals.length) {
        for (const listener of originals) listener.call(process, err, ...rest);
        return;
      }
      console.error(err);
      process.exit(1);
    });
  }
}

const FAILED = Symbol("failed");

async function acquire(): Promise<() => void> {
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const previous = programLock;
  programLock = previous.then(() => mine);
  await previous;
  return release;
}

// --- program files in a child process ------------------------------------------------------------

export const CHILD_FLAG = "PULUMI_ENGINE_EMULATOR_CHILD";

/**
 * Runs one `up`/`preview` of a program file in a fresh Node process (the language host's place):
 * child-runner.js registers ts-node the way `@pulumi/pulumi/cmd/run` does, then runs this same engine
 * there. `PULUMI_NODEJS_TRANSPILE_ONLY` defaults to true (the repository's tsc type-checks examples/).
 */
export async function runInChild(engine: Engine, command: "up" | "preview", program: ProgramFile, opts: UpOptions): Promise<RunResult> {
  fs.mkdirSync(engine.workDir, { recursive: true });
  const base = path.join(engine.workDir, `child-${process.pid}-${randomUUID()}`);
  const request = { engine: engine.toInit(), command, program, options: { ...opts, allowFailure: true } };
  fs.writeFileSync(`${base}.request.json`, JSON.stringify(request));
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_OPTIONS: undefined,
    PULUMI_NODEJS_TRANSPILE_ONLY: engine.env.PULUMI_NODEJS_TRANSPILE_ONLY ?? process.env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
    ...engine.env,
    [CHILD_FLAG]: "1",
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [path.join(__dirname, "child-runner.js"), `${base}.request.json`, `${base}.result.json`], {
    cwd: engine.programDir,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let printed = "";
  child.stdout.on("data", (d) => (printed += d));
  child.stderr.on("data", (d) => (printed += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  try {
    if (!fs.existsSync(`${base}.result.json`)) throw new Error(`the program's child process exited with ${code} and no result:\n${printed}`);
    const result: RunResult = JSON.parse(fs.readFileSync(`${base}.result.json`, "utf8"));
    result.programOutput = printed;
    if (!result.ok && !opts.allowFailure) throw new EngineRunError(result);
    return result;
  } finally {
    fs.rmSync(`${base}.request.json`, { force: true });
    fs.rmSync(`${base}.result.json`, { force: true });
  }
}
