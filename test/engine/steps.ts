// The engine's steps: refresh (§1.3/§1.4), deletes in dependency order (§2), and the program's
// registrations turned into Check → Diff → Create/Update/Replace against the plugin (§1, §4–§6).
import { randomUUID } from "node:crypto";
import type { Engine } from "./engine";
import { PluginCallError, type DynamicProviderPlugin } from "./plugin";
import { UNANSWERED, createMonitor, runProgramInProcess } from "./program-host";
import {
  configInputs,
  resourceLabel,
  errorText,
  limiter,
  storedConfig,
  withoutUnusedProvider,
  type Program,
  type Run,
  type StackConfig,
  type Step,
} from "./run";
import { loadSdk, type LoadedSdk, type ProtoModule } from "./sdk";
import { DEFAULT_PROVIDER_TYPE, STACK_TYPE, dependenciesOf, sortByDependencies, type ResourceState } from "./state";
import { annotateSecrets, changedKeys, containsUnknown, deepEqual, isSecret, stripSecrets, type PropertyMap } from "./wire";

/* eslint-disable @typescript-eslint/no-explicit-any */

// --- refresh -------------------------------------------------------------------------------------

/**
 * Refreshes every custom resource: Read(id, stored outputs, stored inputs), up to `--parallel` at
 * once (§2). Returns the refreshed resource list. `isRefreshCommand` decides counting (§1.2/§1.3):
 * only the `refresh` command records refresh steps, as same / update (the provider's Diff of the
 * refreshed state against the stored inputs says changes; DIFF_UNKNOWN compares inputs) / delete
 * (Read returned no id). In `up/preview --refresh` nothing of this counts.
 */
export async function refreshResources(
  run: Run,
  resources: ResourceState[],
  config: StackConfig,
  isRefreshCommand: boolean,
): Promise<ResourceState[]> {
  const results = await Promise.all(
    resources.map(async (r): Promise<ResourceState | undefined> => {
      if (r.type === DEFAULT_PROVIDER_TYPE) return r;
      if (!r.custom || r.delete) {
        if (isRefreshCommand && !r.delete) run.addStep("refresh-same", r.urn, true);
        return r;
      }
      try {
        return await run.parallel(() => refreshOne(run, r, config, isRefreshCommand));
      } catch (e) {
        run.fail(`${resourceLabel(r.urn)}: refreshing failed: ${errorText(e)}`);
        return r;
      }
    }),
  );
  return results.filter((r): r is ResourceState => r !== undefined);
}

async function refreshOne(run: Run, old: ResourceState, config: StackConfig, counted: boolean): Promise<ResourceState | undefined> {
  const plugin = await run.hosts.get(config);
  const read = await plugin.read(old.urn, old.id ?? "", stripSecrets(old.outputs), stripSecrets(old.inputs));
  if (!read.id) {
    // Gone: dropped from state (§1.3, rebuildBaseState); no Diff is called.
    run.addStep("refresh-delete", old.urn, counted);
    return undefined;
  }
  // Read without inputs keeps the stored inputs (§1.3); a successful Read clears initErrors.
  const inputs = read.inputs ? (annotateSecrets(read.inputs, old.inputs) as PropertyMap) : old.inputs;
  const outputs = annotateSecrets(read.properties, old.outputs) as PropertyMap;
  // The inverted refresh diff: Diff(olds = refreshed outputs, news = stored inputs, oldInputs = refreshed inputs).
  const diff = await plugin.diff(old.urn, read.id, stripSecrets(outputs), stripSecrets(old.inputs), stripSecrets(inputs));
  const changed = diff.changes === "DIFF_UNKNOWN" ? !deepEqual(stripSecrets(inputs), stripSecrets(old.inputs)) : diff.changes === "DIFF_SOME";
  run.addStep(changed ? "refresh-update" : "refresh-same", old.urn, counted, {
    diffKeys: changed ? changedKeys(old.inputs, inputs) : [],
  });
  const refreshed: ResourceState = { ...old, id: read.id, inputs, outputs };
  delete refreshed.initErrors;
  return refreshed;
}

// --- delete --------------------------------------------------------------------------------------

/**
 * Deletes `doomed` (a subset of `all`), a resource only after every doomed resource that depends on
 * it, up to `--parallel` at once (§2: deletes run in dependency antichains). Returns what remains of
 * `all`. In a dry run it only records the steps.
 */
export async function deleteResources(
  run: Run,
  all: ResourceState[],
  doomed: ResourceState[],
  config: StackConfig,
  op: "delete" | "delete-replaced",
): Promise<ResourceState[]> {
  const victims = doomed.filter((r) => r.type !== DEFAULT_PROVIDER_TYPE);
  const removed = new Set<ResourceState>();
  const done = new Map<ResourceState, Promise<boolean>>();
  const dependentsByUrn = new Map<string, ResourceState[]>();
  for (const x of victims) {
    for (const urn of dependenciesOf(x)) {
      const list = dependentsByUrn.get(urn);
      if (list) list.push(x);
      else dependentsByUrn.set(urn, [x]);
    }
  }
  const dependents = (r: ResourceState) => (dependentsByUrn.get(r.urn) ?? []).filter((x) => x !== r);
  const remove = (r: ResourceState): Promise<boolean> => {
    let p = done.get(r);
    if (!p) {
      p = (async () => {
        const ok = (await Promise.all(dependents(r).map(remove))).every(Boolean);
        const counted = op === "delete";
        if (!ok) return false;
        if (r.protect) {
          run.addStep(op, r.urn, counted, { error: "protected" });
          run.fail(
            `${resourceLabel(r.urn)}: unable to delete resource "${r.urn}" as it is currently marked for protection; ` +
              "remove the `protect` option from the program and run `pulumi up` first",
          );
          return false;
        }
        if (run.failed && !run.dryRun) return false; // no new step after a failure
        const step = run.addStep(op, r.urn, counted);
        if (run.dryRun) return true;
        if (r.custom && !r.retainOnDelete) {
          try {
            await run.parallel(async () => {
              if (run.failed) throw new Error("not deleted: the run failed");
              const plugin = await run.hosts.get(config);
              await plugin.delete(r.urn, r.id ?? "", stripSecrets(r.outputs), stripSecrets(r.inputs));
            });
          } catch (e) {
            step.error = errorText(e);
            run.fail(`${resourceLabel(r.urn)}: deleting failed: ${step.error}`);
            return false;
          }
        }
        removed.add(r);
        return true;
      })();
      done.set(r, p);
    }
    return p;
  };
  // Start from the end of the state (dependents last in the file), so steps are listed in delete order.
  await Promise.all([...victims].reverse().map(remove));
  return all.filter((r) => !removed.has(r));
}

// --- up / preview: the program's registrations ---------------------------------------------------

interface Goal {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  inputs: PropertyMap;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  protect: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  deleteBeforeReplace: boolean;
  retainOnDelete: boolean;
  additionalSecretOutputs: string[];
  importId: string;
  provider: string;
  remote: boolean;
}

export interface Registered {
  urn: string;
  id: string;
  outputs: PropertyMap;
}

export class Deployment {
  private readonly sdk: LoadedSdk;
  /** Live resources of the base state, by URN (after `--refresh`, the refreshed ones). */
  private readonly live = new Map<string, ResourceState>();
  /** Replaced resources a failed run left behind (`delete: true`): deleted at the end of this run. */
  private readonly leftBehind: ResourceState[] = [];
  /** The new state of every registered resource, in registration order (null until its step ends). */
  private readonly next = new Map<string, ResourceState | null>();
  /** Old halves of create-before-delete replacements. */
  private readonly replaced: ResourceState[] = [];
  /** Base resources already deleted during the program (delete-before-replace). */
  private readonly gone = new Set<ResourceState>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** Step generation (Check, Diff) handles one registration at a time (§2). */
  private readonly serial = limiter(1);
  private readonly providerUrn: string;
  private readonly baseProvider?: ResourceState;
  private providerState?: ResourceState;

  constructor(
    private readonly run: Run,
    private readonly base: ResourceState[],
  ) {
    this.sdk = loadSdk(run.engine.programDir);
    for (const r of base) {
      if (r.delete) this.leftBehind.push(r);
      else this.live.set(r.urn, r);
    }
    this.providerUrn = run.engine.urn(DEFAULT_PROVIDER_TYPE, "default");
    this.baseProvider = this.live.get(this.providerUrn);
  }

  private get engine(): Engine {
    return this.run.engine;
  }

  async runProgram(program: Program<any>): Promise<void> {
    const monitor = createMonitor(this.sdk, {
      register: (req) => this.track(this.register(req)),
      registerOutputs: (urn, outputs) => {
        const state = this.next.get(urn);
        if (state) state.outputs = outputs;
      },
    });
    await runProgramInProcess(this.run, this.sdk, monitor, program);
    // Steps already running finish and are recorded, as in the real engine.
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
    // The stack outputs are what the program registered on the stack resource; in a preview an
    // unknown output is left out (the CLI shows it as `output<string>`).
    const stack = [...this.next.values()].find((r) => r?.type === STACK_TYPE);
    if (stack && !this.run.failed) {
      this.run.outputs = Object.fromEntries(
        Object.entries(stripSecrets(stack.outputs)).filter(([, v]) => !containsUnknown(v)),
      );
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    p.then(
      () => this.inflight.delete(p),
      () => this.inflight.delete(p),
    );
    return p;
  }

  /** Deletes what the program no longer declares (or the run replaced), then returns the new state. */
  async finish(): Promise<ResourceState[]> {
    const registered = [...this.next.values()].filter((r): r is ResourceState => r !== null);
    if (this.run.failed) {
      // Nothing is deleted after a failure; untouched resources and pending deletions stay in state.
      const kept = this.base.filter((r) => !this.gone.has(r) && (r.delete || !this.next.has(r.urn)));
      return sortByDependencies([...registered, ...kept, ...this.replaced.map((r) => ({ ...r, delete: true }))]);
    }
    const unregistered = [...this.live.values()].filter((r) => !this.next.has(r.urn) && r.type !== DEFAULT_PROVIDER_TYPE);
    // Deletes use the provider config this run configured if the program registered a dynamic
    // resource (the default provider was updated), else the stored one.
    const config = this.providerState ? this.engine.config : storedConfig({ version: 1, resources: this.base });
    const all = [...registered, ...unregistered];
    let remaining = await deleteResources(this.run, all, unregistered, config, "delete");
    const pending = [...this.replaced, ...this.leftBehind];
    remaining = [...remaining, ...(await deleteResources(this.run, pending, pending, config, "delete-replaced")).map((r) => ({ ...r, delete: true }))];
    if (!this.providerState && this.baseProvider) remaining.push(this.baseProvider);
    return sortByDependencies(withoutUnusedProvider(remaining));
  }

  /** Resolves to the registration's result, or to UNANSWERED when the run failed: the engine then
   *  processes no more registrations and the program never hears back (it is abandoned). */
  private async register(req: ProtoModule): Promise<Registered | typeof UNANSWERED> {
    const goal = readGoal(this.engine, req);
    try {
      if (this.run.failed) throw new Stopped();
      if (this.next.has(goal.urn)) throw new Error(`Duplicate resource URN '${goal.urn}'; try giving it a unique name`);
      if (!goal.custom) {
        this.next.set(goal.urn, null);
        return this.registerComponent(goal);
      }
      if (goal.remote || goal.provider || !goal.type.startsWith("pulumi-nodejs:dynamic")) {
        throw new Error(`the engine emulator runs only dynamic resources with the default provider, not ${goal.type}`);
      }
      this.ensureProvider();
      this.next.set(goal.urn, null);
      return await this.registerCustom(goal);
    } catch (e) {
      if (!(e instanceof Stopped)) this.run.fail(`${goal.type} (${goal.name}): error: ${errorText(e)}`);
      // No new state: what the base state had stays (see finish()).
      if (this.next.get(goal.urn) === null) this.next.delete(goal.urn);
      return UNANSWERED;
    }
  }

  private registerComponent(goal: Goal): Registered {
    // Components and the stack have no provider: the engine compares their inputs.
    const old = this.live.get(goal.urn);
    const op = !old ? "create" : deepEqual(stripSecrets(old.inputs), stripSecrets(goal.inputs)) ? "same" : "update";
    this.run.addStep(op, goal.urn, true, { diffKeys: old && op === "update" ? changedKeys(old.inputs, goal.inputs) : [] });
    this.next.set(goal.urn, {
      ...this.baseFields(goal),
      outputs: old?.outputs ?? {},
    });
    return { urn: goal.urn, id: "", outputs: goal.inputs };
  }

  /** The default provider: internal, never counted (§1.2 isDefaultProviderStep); its inputs are the
   *  current stack config (a config change updates it in place, same id, §3.1). */
  private ensureProvider(): void {
    if (this.providerState) return;
    const inputs = configInputs(this.engine.config);
    this.providerState = {
      urn: this.providerUrn,
      type: DEFAULT_PROVIDER_TYPE,
      custom: true,
      id: this.baseProvider?.id ?? randomUUID(),
      inputs,
      outputs: inputs,
      dependencies: [],
    };
    this.next.set(this.providerUrn, this.providerState);
  }

  private baseFields(goal: Goal): ResourceState {
    const state: ResourceState = {
      urn: goal.urn,
      type: goal.type,
      custom: goal.custom,
      inputs: goal.inputs,
      outputs: {},
      dependencies: goal.dependencies,
    };
    if (goal.parent) state.parent = goal.parent;
    if (goal.custom) state.provider = `${this.providerUrn}::${this.providerState!.id}`;
    if (Object.keys(goal.propertyDependencies).length) state.propertyDependencies = goal.propertyDependencies;
    if (goal.protect) state.protect = true;
    if (goal.retainOnDelete) state.retainOnDelete = true;
    if (goal.deleteBeforeReplace) state.deleteBeforeReplace = true;
    if (goal.importId) state.importId = goal.importId;
    return state;
  }

  private record(goal: Goal, id: string, inputs: PropertyMap, outputs: PropertyMap, initErrors?: string[]): Registered {
    const state: ResourceState = { ...this.baseFields(goal), id, inputs, outputs };
    if (initErrors?.length) state.initErrors = initErrors;
    this.next.set(goal.urn, state);
    return { urn: goal.urn, id, outputs };
  }

  private async registerCustom(goal: Goal): Promise<Registered> {
    const plugin = await this.run.hosts.get(this.engine.config);
    let old = this.live.get(goal.urn);
    let imported = false;
    const { urn } = goal;
    const plan = await this.serial(async () => {
      if (this.run.failed) throw new Stopped();
      // ignoreChanges: the old values replace the program's before Check (top-level keys).
      const news = stripSecrets(goal.inputs);
      if (old) {
        for (const k of goal.ignoreChanges) {
          if (k in old.inputs) news[k] = stripSecrets(old.inputs[k]);
          else delete news[k];
        }
      }
      if (goal.importId && (!old || old.importId !== goal.importId)) {
        old = await this.importResource(goal, plugin);
        imported = true;
      }
      const check = await plugin.check(urn, old ? stripSecrets(old.inputs) : {}, news);
      if (check.failures.length) throw new Error(checkFailures(goal, check.failures));
      const checked = annotateSecrets(check.inputs, goal.inputs) as PropertyMap;
      if (!old) return { kind: "create" as const, checked, step: this.run.addStep("create", urn, true) };

      const oldInputs = stripSecrets(old.inputs);
      const oldOutputs = stripSecrets(old.outputs);
      const diff = await plugin.diff(urn, old.id ?? "", oldOutputs, stripSecrets(checked), oldInputs, goal.ignoreChanges);
      // §6: DIFF_UNKNOWN (no diff() in the provider) falls back to comparing the input maps,
      // `__provider` included.
      const changed = diff.changes === "DIFF_UNKNOWN" ? !deepEqual(oldInputs, stripSecrets(checked)) : diff.changes === "DIFF_SOME";
      const diffKeys = changed ? unique([...changedKeys(old.inputs, checked), ...diff.replaces]) : [];
      const replaceKeys = changed ? unique([...diff.replaces, ...goal.replaceOnChanges.filter((k) => diffKeys.includes(k) || (k === "*" && diffKeys.length))]) : [];
      if (old.initErrors?.length && goal.replaceOnChanges.includes("#initerror")) replaceKeys.push("#initerror");
      if (replaceKeys.length) {
        // A replacement is re-checked against no old inputs.
        const recheck = await plugin.check(urn, {}, news);
        if (recheck.failures.length) throw new Error(checkFailures(goal, recheck.failures));
        return {
          kind: "replace" as const,
          old,
          checked: annotateSecrets(recheck.inputs, goal.inputs) as PropertyMap,
          deleteBeforeReplace: diff.deleteBeforeReplace || goal.deleteBeforeReplace,
          step: this.run.addStep("replace", urn, true, { diffKeys, replaceKeys }),
        };
      }
      // §4.5: a resource with initErrors gets an Update even when nothing changed.
      if (changed || old.initErrors?.length) {
        return { kind: "update" as const, old, checked, step: this.run.addStep("update", urn, true, { diffKeys }) };
      }
      // An import without changes completes with the imported state (its step is the import).
      if (!imported) this.run.addStep("same", urn, true);
      return { kind: "same" as const, old, checked };
    });

    switch (plan.kind) {
      case "same":
        // SameStep: the new inputs are stored, the old outputs kept (§6).
        return this.record(goal, plan.old.id ?? "", plan.checked, plan.old.outputs);
      case "create":
        if (this.run.dryRun) return this.record(goal, "", plan.checked, plan.checked);
        return this.create(goal, plan.checked, plan.step);
      case "update":
        // The dynamic provider does not support preview: the engine returns the new inputs as outputs.
        if (this.run.dryRun) return this.record(goal, plan.old.id ?? "", plan.checked, plan.checked);
        return this.update(goal, plan.old, plan.checked, plan.step, plugin);
      case "replace": {
        if (this.run.dryRun) return this.record(goal, "", plan.checked, plan.checked);
        if (plan.old.protect) {
          throw new Error(`unable to replace resource "${urn}" as it is currently marked for protection`);
        }
        if (plan.deleteBeforeReplace) {
          await this.execute(plan.step, () => plugin.delete(urn, plan.old.id ?? "", stripSecrets(plan.old.outputs), stripSecrets(plan.old.inputs)));
          this.gone.add(plan.old);
          return this.create(goal, plan.checked, plan.step);
        }
        // Create before delete: the old resource is deleted at the end of the run.
        const created = await this.create(goal, plan.checked, plan.step);
        this.replaced.push(plan.old);
        return created;
      }
    }
  }

  /** §5: the real engine's ImportStep sends Read with the id only (no inputs, no state). */
  private async importResource(goal: Goal, plugin: DynamicProviderPlugin): Promise<ResourceState> {
    const step = this.run.addStep("import", goal.urn, true);
    try {
      const read = await this.run.parallel(() => plugin.read(goal.urn, goal.importId));
      if (!read.id) throw new Error(`resource '${goal.importId}' does not exist`);
      if (!read.inputs) throw new Error("provider does not support importing resources; please try updating the 'pulumi-nodejs' plugin");
      return {
        ...this.baseFields(goal),
        id: read.id,
        inputs: read.inputs,
        outputs: read.properties,
        importId: goal.importId,
      };
    } catch (e) {
      step.error = errorText(e);
      throw new Error(`importing '${goal.importId}' failed: ${step.error}`);
    }
  }

  /** Runs a provider call as a step: up to `--parallel` at once, and none starts once the run failed
   *  (the step executor cancels; a step that never ran is not reported). */
  private execute<T>(step: Step, call: () => Promise<T>): Promise<T> {
    return this.run.parallel(async () => {
      if (this.run.failed) {
        this.run.steps.splice(this.run.steps.indexOf(step), 1);
        throw new Stopped();
      }
      return call();
    });
  }

  private async create(goal: Goal, checked: PropertyMap, step: Step): Promise<Registered> {
    const plugin = await this.run.hosts.get(this.engine.config);
    try {
      const created = await this.execute(step, () => plugin.create(goal.urn, stripSecrets(checked)));
      return this.record(goal, created.id, checked, annotateSecrets(created.properties, checked, goal.additionalSecretOutputs) as PropertyMap);
    } catch (e) {
      if (e instanceof Stopped) {
        this.next.delete(goal.urn);
        throw e;
      }
      step.error = errorText(e);
      const init = e instanceof PluginCallError ? e.initFailure : undefined;
      if (init) {
        // §4: created but failed to initialize: persisted with the error's properties (which lack
        // `__provider`) and initErrors; the run fails.
        this.record(goal, init.id, checked, annotateSecrets(init.properties, checked, goal.additionalSecretOutputs) as PropertyMap, init.reasons);
        throw new Error(`${step.error}: resource was created but failed to initialize: ${init.reasons.join("; ")}`);
      }
      this.next.delete(goal.urn); // a plain failure stores nothing
      throw e;
    }
  }

  private async update(goal: Goal, old: ResourceState, checked: PropertyMap, step: Step, plugin: DynamicProviderPlugin): Promise<Registered> {
    try {
      const updated = await this.execute(step, () =>
        plugin.update(goal.urn, old.id ?? "", stripSecrets(old.outputs), stripSecrets(checked), stripSecrets(old.inputs), goal.ignoreChanges),
      );
      // A successful Update clears initErrors (the goal has none).
      return this.record(goal, old.id ?? "", checked, annotateSecrets(updated.properties, checked, goal.additionalSecretOutputs) as PropertyMap);
    } catch (e) {
      if (e instanceof Stopped) {
        this.next.set(goal.urn, old);
        throw e;
      }
      step.error = errorText(e);
      const init = e instanceof PluginCallError ? e.initFailure : undefined;
      if (init) {
        // §4.7: a partial failure on Update keeps the old inputs with the new outputs.
        this.record(goal, old.id ?? "", old.inputs, annotateSecrets(init.properties, checked) as PropertyMap, init.reasons);
        throw new Error(`${step.error}: resource was updated but failed to initialize: ${init.reasons.join("; ")}`);
      }
      this.next.set(goal.urn, old);
      throw e;
    }
  }
}

/** Thrown where the real engine stops processing a registration because the run already failed. */
class Stopped extends Error {}

function readGoal(engine: Engine, req: ProtoModule): Goal {
  const type: string = req.getType();
  const name: string = req.getName();
  const parent: string = req.getParent();
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps: ProtoModule, key: string) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  return {
    urn: urnFor(engine, parent, type, name),
    type,
    name,
    custom: req.getCustom(),
    parent,
    inputs: req.getObject()?.toJavaScript() ?? {},
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    protect: !!req.getProtect(),
    ignoreChanges: req.getIgnorechangesList(),
    replaceOnChanges: req.getReplaceonchangesList(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
    retainOnDelete: !!req.getRetainondelete(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    importId: req.getImportid(),
    provider: req.getProvider(),
    remote: req.getRemote(),
  };
}

/** The engine's URN: the type is qualified by the parent's qualified type (the whole `A$B` chain),
 *  except under the root stack (resource.NewURN with the parent's QualifiedType). */
function urnFor(engine: Engine, parentUrn: string, type: string, name: string): string {
  const parentType = parentUrn ? parentUrn.split("::")[2] : "";
  const qualified = parentType && parentType !== STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${engine.stack}::${engine.project}::${qualified}::${name}`;
}

/** The engine's check-failure diagnostics (step_generator.go issueCheckErrors). */
function checkFailures(goal: Goal, failures: { property: string; reason: string }[]): string {
  return failures
    .map((f) => {
      if (!f.property) return `${goal.type} resource '${goal.name}' has a problem: ${f.reason}`;
      const v = goal.inputs[f.property];
      const shown = isSecret(v) ? "[secret]" : JSON.stringify(v);
      return `${goal.type} resource '${goal.name}': property ${f.property} value ${shown} has a problem: ${f.reason}`;
    })
    .join("; ");
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
