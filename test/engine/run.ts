// One CLI command's bookkeeping, shared by the engine's phases: the public result and step types,
// the command's provider registry (one plugin process per distinct provider config) and small helpers.
import type { Engine } from "./engine";
import { DynamicProviderPlugin, type PluginOutputLine } from "./plugin";
import type { Pulumi } from "./sdk";
import { DEFAULT_PROVIDER_TYPE, type ResourceState, type StackState } from "./state";
import { canonical, isSecret, secret, stripSecrets, type PropertyMap, type SecretValue } from "./wire";

/** A stack-config value: a string (structured values are JSON text), or `secret("...")`. */
export type ConfigValue = string | SecretValue<string>;

/** Stack config with namespaced keys: `openstack:authUrl`, `<project>:greeting`. */
export type StackConfig = Record<string, ConfigValue>;

export interface ProgramContext {
  /** The program directory's `@pulumi/pulumi` (the copy the package uses). */
  pulumi: Pulumi;
  programDir: string;
  /** `require` resolving from the program directory. */
  require: NodeJS.Require;
}

/** A program as a function of the package under test (loaded from the program directory, so vitest
 *  never transforms package code); its return value is the stack outputs. */
export type ProgramFunction<P> = (pkg: P, ctx: ProgramContext) => unknown;

/** A Pulumi main module (e.g. an `index.ts` copied from `examples/`): run in a child process with
 *  ts-node set up like Pulumi's Node language host; its exports are the stack outputs. */
export interface ProgramFile {
  file: string;
}

export type Program<P> = ProgramFunction<P> | ProgramFile;

export type Command = "up" | "preview" | "refresh" | "destroy";

export type StepOp =
  | "same"
  | "create"
  | "update"
  | "replace"
  | "delete"
  | "import"
  /** The old half of a create-before-delete replacement (part of the `replace`, not counted). */
  | "delete-replaced"
  | "refresh-same"
  | "refresh-update"
  | "refresh-delete";

export interface Step {
  op: StepOp;
  urn: string;
  type: string;
  name: string;
  /** Counted by the CLI's `HasChanges`/summary rule (§1.2). */
  counted: boolean;
  /** Top-level keys that differ (for updates and replaces). */
  diffKeys: string[];
  replaceKeys: string[];
  error?: string;
}

/** Summary keys as the CLI prints them ("+ 2 to create, 1 unchanged"). */
export type SummaryOp = "same" | "create" | "update" | "replace" | "delete" | "import";

export interface RunResult {
  command: Command;
  dryRun: boolean;
  ok: boolean;
  /** 0; 1 when the run failed; 7 when `--expect-no-changes` saw changes (exit_codes.go). */
  exitCode: number;
  /** The CLI's closing error, when not ok. */
  message?: string;
  steps: Step[];
  /** Counted steps per op, same included. */
  summary: Partial<Record<SummaryOp, number>>;
  /** The CLI's `HasChanges`: any counted op other than same (and read). */
  hasChanges: boolean;
  /** The program's stack outputs (plain values; unknown in preview → absent). */
  outputs: Record<string, unknown>;
  errors: string[];
  /** Every line every plugin process printed during the command. */
  pluginOutput: PluginOutputLine[];
  /** Pids of the plugin processes this command started. */
  pluginPids: number[];
  /** What a child-process program printed (program files only). */
  programOutput?: string;
}

export class EngineRunError extends Error {
  override name = "EngineRunError";
  constructor(readonly result: RunResult) {
    super(result.message ?? `${result.command} failed`);
  }
  get exitCode(): number {
    return this.result.exitCode;
  }
}

// --- one command ---------------------------------------------------------------------------------

/** The state of one CLI command: its steps, errors, plugin processes and output. */
export class Run {
  readonly steps: Step[] = [];
  readonly errors: string[] = [];
  readonly output: PluginOutputLine[] = [];
  readonly hosts: ProviderHosts;
  /** Steps that call providers: up to `--parallel` at once (§2). */
  readonly parallel: <T>(fn: () => Promise<T>) => Promise<T>;
  outputs: Record<string, unknown> = {};
  programOutput?: string;
  failed = false;
  /** Resolves when the run fails: the engine then starts no new step (step_executor cancels). */
  readonly failure: Promise<void>;
  private signalFailure!: () => void;

  constructor(
    readonly engine: Engine,
    readonly command: Command,
    readonly dryRun: boolean,
  ) {
    this.hosts = new ProviderHosts(engine, this.output);
    this.parallel = limiter(engine.parallel);
    this.failure = new Promise((resolve) => (this.signalFailure = resolve));
  }

  fail(message: string): void {
    this.errors.push(message);
    if (!this.failed) {
      this.failed = true;
      this.signalFailure();
    }
  }

  addStep(op: StepOp, urn: string, counted: boolean, extra: Partial<Step> = {}): Step {
    const step: Step = { op, urn, type: urnType(urn), name: urnName(urn), counted, diffKeys: [], replaceKeys: [], ...extra };
    this.steps.push(step);
    return step;
  }
}

/** The provider registry of one command: one plugin process per distinct provider config (§3.1: the
 *  refresh phase uses the stored config, the program's registrations the current one). */
export class ProviderHosts {
  private readonly started = new Map<string, Promise<DynamicProviderPlugin>>();

  private readonly plugins: DynamicProviderPlugin[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly output: PluginOutputLine[],
  ) {}

  get pids(): number[] {
    return this.plugins.map((p) => p.pid);
  }

  get(config: StackConfig): Promise<DynamicProviderPlugin> {
    const key = JSON.stringify(canonical(stripSecrets(config)));
    let plugin = this.started.get(key);
    if (!plugin) {
      plugin = this.start(config);
      this.started.set(key, plugin);
    }
    return plugin;
  }

  private async start(config: StackConfig): Promise<DynamicProviderPlugin> {
    const plugin = await DynamicProviderPlugin.start({
      programDir: this.engine.programDir,
      project: this.engine.project,
      nodejsConfig: nodejsNamespace(config),
      env: this.engine.env,
      onOutput: (line) => this.output.push(line),
    });
    this.plugins.push(plugin);
    await plugin.getPluginInfo();
    // §3.1: the default provider's inputs are the whole stack config, keys namespaced, secrets marked.
    await plugin.configure(configInputs(config));
    return plugin;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.started.values()]);
    await Promise.all(this.plugins.map((p) => p.stop()));
  }
}

/** `PULUMI_CONFIG` for the plugin: only the `pulumi-nodejs` namespace, keyed by bare name (§3.2). */
export function nodejsNamespace(config: StackConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k.startsWith("pulumi-nodejs:")) out[k.slice("pulumi-nodejs:".length)] = String(stripSecrets(v));
  }
  return out;
}

/** The default provider's inputs: string values, secrets kept as secret objects. */
export function configInputs(config: StackConfig): PropertyMap {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, isSecret(v) ? secret(String(v.value)) : String(v)]));
}

/** The default provider stays in state while a custom resource references it. */
export function withoutUnusedProvider(resources: ResourceState[]): ResourceState[] {
  const used = resources.some((r) => r.custom && r.type !== DEFAULT_PROVIDER_TYPE);
  return resources.filter((r) => used || r.type !== DEFAULT_PROVIDER_TYPE);
}

/** The provider config the last `up` stored in state (the default provider's inputs). */
export function storedConfig(state: StackState): StackConfig {
  const provider = state.resources.find((r) => r.type === DEFAULT_PROVIDER_TYPE && !r.delete);
  return (provider?.inputs ?? {}) as StackConfig;
}

// --- helpers -------------------------------------------------------------------------------------

/** At most `n` of the functions run at once, started in call order. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot to the next waiter directly, so a newcomer cannot take it.
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    else active++;
    try {
      return await fn();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

export function urnType(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

export function resourceLabel(urn: string): string {
  return `${urnType(urn)} (${urnName(urn)})`;
}
