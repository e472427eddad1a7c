// The emulator's checkpoint: one JSON file per stack, resources in dependency order (a resource after
// its parent, provider and dependencies), like the `resources` array of a Pulumi checkpoint.
//
// Secrets: Pulumi stores secret values encrypted (README "Configuration"). The emulator
// stores them as `{ <sig>: <secret sig>, ciphertext: <base64> }` so that a state file never holds a
// secret in plain text and tests can scan it; base64 is an encoding, not encryption.
import * as fs from "node:fs";
import * as path from "node:path";
import { SECRET_SIG, SIG_KEY, isSecret, secret, type PropertyMap } from "./wire";

export interface ResourceState {
  urn: string;
  /** The resource's own type token (the URN holds the parent-qualified type). */
  type: string;
  custom: boolean;
  /** Custom resources only. */
  id?: string;
  parent?: string;
  /** `<provider urn>::<provider id>` (custom resources only). */
  provider?: string;
  /** Secrets as secret objects. */
  inputs: PropertyMap;
  outputs: PropertyMap;
  dependencies: string[];
  propertyDependencies?: Record<string, string[]>;
  protect?: boolean;
  retainOnDelete?: boolean;
  deleteBeforeReplace?: boolean;
  /** Set when a Create or Update failed with ErrorResourceInitFailed (engine-semantics.md §4). */
  initErrors?: string[];
  /** A replaced resource whose deletion has not happened yet (a failed run left it behind). */
  delete?: boolean;
  /** The `import` option's id this resource was imported with. */
  importId?: string;
}

export interface StackState {
  version: 1;
  resources: ResourceState[];
}

export const STACK_TYPE = "pulumi:pulumi:Stack";
export const DEFAULT_PROVIDER_TYPE = "pulumi:providers:pulumi-nodejs";

export function emptyState(): StackState {
  return { version: 1, resources: [] };
}

export function readStateFile(file: string): StackState {
  if (!fs.existsSync(file)) return emptyState();
  return JSON.parse(fs.readFileSync(file, "utf8"), (_k, v) => {
    if (v && typeof v === "object" && v[SIG_KEY] === SECRET_SIG && typeof v.ciphertext === "string") {
      return secret(JSON.parse(Buffer.from(v.ciphertext, "base64").toString("utf8")));
    }
    return v;
  });
}

export function writeStateFile(file: string, state: StackState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = JSON.stringify(
    state,
    (_k, v) => (isSecret(v) ? { [SIG_KEY]: SECRET_SIG, ciphertext: Buffer.from(JSON.stringify(v.value)).toString("base64") } : v),
    2,
  );
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Orders `resources` so that everything a resource depends on comes first, keeping the given order
 *  where no dependency forces otherwise (a state file must be topologically sorted). */
export function sortByDependencies(resources: ResourceState[]): ResourceState[] {
  const byUrn = new Map<string, ResourceState[]>();
  for (const r of resources) byUrn.set(r.urn, [...(byUrn.get(r.urn) ?? []), r]);
  const done = new Set<ResourceState>();
  const out: ResourceState[] = [];
  const visit = (r: ResourceState, stack: Set<ResourceState>) => {
    if (done.has(r) || stack.has(r)) return;
    stack.add(r);
    for (const dep of dependenciesOf(r)) for (const d of byUrn.get(dep) ?? []) if (d !== r) visit(d, stack);
    stack.delete(r);
    done.add(r);
    out.push(r);
  };
  for (const r of resources) visit(r, new Set());
  return out;
}

/** Everything a resource must outlive: parent, provider, dependencies, property dependencies. */
export function dependenciesOf(r: ResourceState): string[] {
  const deps = new Set<string>(r.dependencies);
  if (r.parent) deps.add(r.parent);
  if (r.provider) deps.add(r.provider.slice(0, r.provider.lastIndexOf("::")));
  for (const urns of Object.values(r.propertyDependencies ?? {})) for (const u of urns) deps.add(u);
  deps.delete(r.urn);
  return [...deps];
}
