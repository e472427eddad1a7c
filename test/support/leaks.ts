/**
 * Secret-leak checks for tests: nothing a user can see — what a stack wrote to disk (the checkpoint,
 * the file backend's history and backups, the CLI's logs, the stack's config file), everything the
 * Pulumi CLI printed (plugin output included) and its engine events, the errors and messages of every
 * command, any error a test caught — may contain a password, an application-credential secret or a
 * Keystone token (docs/guarantees.md: no token, password or secret ever appears in an error, a log
 * line or a test snapshot).
 *
 * Passwords and secrets are known strings (`testCloud().secrets`, an own instance's `password`, a
 * wrong password a test made up). Tokens are not known in advance: a fault proxy (or TLS terminator)
 * between the code and Keystone/Glance remembers every token it saw in a header and answers
 * `containsSecret(text)`; pass it as a holder.
 *
 *     const leaks = new LeakWatch();
 *     afterEach(() => leaks.expectClean([...cloud.secrets, os.password], [keystoneProxy, glanceProxy]));
 *     ...
 *     const stack = leaks.stack(await PulumiStack.create({ ... }));  // its files are scanned
 *     const r = leaks.result(await stack.up(program));                // message, errors, steps, output, events, outputs
 *     leaks.error(caught);                                            // message, stack, JSON, inspect()
 *
 * or, for a one-off check, `expectNoLeaks({ stacks: [stack], results: [r] }, secrets, holders)`.
 * Reports say where a secret was found, never the secret nor the text around it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { inspect } from "node:util";
import { expect } from "vitest";
import type { RunResult } from "../../dev/harness/pulumi";

/** What a stack wrote to disk: everything in its program directory but node_modules (the file
 *  backend and PULUMI_HOME live there too), the checkpoint named apart. A PulumiStack is one. */
export interface StackFiles {
  readonly statePath: string;
  readonly programDir: { readonly dir: string };
}

/** Anything that can tell whether a text holds a token it saw (FaultProxy, TlsTerminator, SeenSecrets). */
export interface SecretHolder {
  containsSecret(text: string): boolean;
}

export interface LeakSources {
  /** Every file of theirs (as stored on disk) is scanned: checkpoint, history, backups, logs, stack config. */
  stacks?: StackFiles[];
  /** Every part a user sees: message, errors, step errors, everything printed, engine events, stack outputs. */
  results?: RunResult[];
  /** More files to scan as they are on disk (state files of other stacks, logs). */
  files?: string[];
  /** Caught errors: message, stack, own properties, util.inspect with hidden fields and causes. */
  errors?: unknown[];
  /** Any other text a user would see. */
  texts?: string[];
}

interface Labelled {
  label: string;
  text: string;
}

/** Everything a user can see of an error, as one text: what would be printed, logged or serialized. */
export function errorTexts(e: unknown): string {
  if (typeof e === "string") return e;
  const parts = [String(e)];
  if (e instanceof Error) parts.push(e.stack ?? "");
  try {
    parts.push(JSON.stringify(e) ?? "");
  } catch {
    // circular: inspect below shows it anyway
  }
  parts.push(inspect(e, { depth: 8, showHidden: true }));
  // a PulumiRunError carries the failed run
  const result = (e as { result?: RunResult } | null)?.result;
  if (result && typeof result === "object" && Array.isArray(result.errors)) parts.push(...resultTexts(result).map((t) => t.text));
  return parts.join("\n");
}

function resultTexts(r: RunResult, label = `${r.command} result`): Labelled[] {
  return [
    { label: `${label}: message`, text: r.message ?? "" },
    { label: `${label}: errors`, text: r.errors.join("\n") },
    { label: `${label}: step errors`, text: r.steps.map((s) => s.error ?? "").join("\n") },
    { label: `${label}: output`, text: r.output },
    { label: `${label}: engine events`, text: JSON.stringify(r.events ?? []) },
    { label: `${label}: stack outputs`, text: JSON.stringify(r.outputs ?? {}) },
  ];
}

/** The files of a stack's program directory (node_modules left out), the checkpoint first. */
function stackFiles(stack: StackFiles): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed meanwhile
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(p);
      } else if (e.isFile() && p !== stack.statePath) files.push(p);
    }
  };
  walk(stack.programDir.dir);
  return [stack.statePath, ...files.sort()];
}

function collect(sources: LeakSources): Labelled[] {
  const out: Labelled[] = [];
  const seen = new Set<string>();
  const file = (label: string, p: string) => {
    if (seen.has(p)) return;
    seen.add(p);
    if (fs.existsSync(p)) out.push({ label: `${label} ${p}`, text: fs.readFileSync(p, "utf8") });
  };
  for (const s of sources.stacks ?? []) {
    for (const p of stackFiles(s)) file(p === s.statePath ? "state file" : "stack file", p);
  }
  for (const f of sources.files ?? []) file("file", f);
  for (const [i, r] of (sources.results ?? []).entries()) out.push(...resultTexts(r, `result #${i} (${r.command})`));
  for (const [i, e] of (sources.errors ?? []).entries()) out.push({ label: `error #${i}`, text: errorTexts(e) });
  for (const [i, t] of (sources.texts ?? []).entries()) out.push({ label: `text #${i}`, text: t });
  return out;
}

/** The forms a secret may take in text: as is, URL-encoded, JSON-escaped. */
function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])];
}

/**
 * Where `sources` leak one of `secrets` or a token one of `holders` saw: lines such as
 * `state file /x/dev.json contains secret #0`. Empty: no leak. Never includes a secret.
 */
export function findLeaks(sources: LeakSources, secrets: readonly string[], holders: readonly SecretHolder[] = []): string[] {
  const usable = secrets.filter((s) => typeof s === "string" && s.length > 0);
  const found: string[] = [];
  for (const { label, text } of collect(sources)) {
    if (!text) continue;
    usable.forEach((s, i) => {
      if (forms(s).some((f) => text.includes(f))) found.push(`${label} contains secret #${i}`);
    });
    holders.forEach((h, i) => {
      if (h.containsSecret(text)) found.push(`${label} contains a token seen by holder #${i}`);
    });
  }
  return found;
}

/** Fails the test when `sources` leak a secret or a token (see findLeaks). */
export function expectNoLeaks(sources: LeakSources, secrets: readonly string[], holders: readonly SecretHolder[] = []): void {
  expect(secrets.filter(Boolean).length, "a leak check needs at least one secret to look for").toBeGreaterThan(0);
  expect(findLeaks(sources, secrets, holders), "secrets or tokens where a user can see them").toEqual([]);
}

/**
 * Collects what a test's commands produced, to check once per test (in `afterEach`) and start over.
 * Stacks stay registered (their files are re-read at every check) until `forget()`.
 */
export class LeakWatch {
  private stacks = new Set<StackFiles>();
  private results: RunResult[] = [];
  private errors: unknown[] = [];
  private texts: string[] = [];
  private files: string[] = [];

  stack<S extends StackFiles>(stack: S): S {
    this.stacks.add(stack);
    return stack;
  }

  result(r: RunResult): RunResult {
    this.results.push(r);
    return r;
  }

  error(e: unknown): unknown {
    this.errors.push(e);
    return e;
  }

  text(t: string): string {
    this.texts.push(t);
    return t;
  }

  file(path: string): string {
    this.files.push(path);
    return path;
  }

  /** How many results were collected since the last check. */
  get resultCount(): number {
    return this.results.length;
  }

  sources(): LeakSources {
    return { stacks: [...this.stacks], results: this.results, errors: this.errors, texts: this.texts, files: this.files };
  }

  /** Checks everything collected so far (stack files as they are now), then forgets the results, errors and texts. */
  expectClean(secrets: readonly string[], holders: readonly SecretHolder[] = []): void {
    const sources = this.sources();
    this.results = [];
    this.errors = [];
    this.texts = [];
    this.files = [];
    expectNoLeaks(sources, secrets, holders);
  }

  /** Stops scanning the stacks' files (e.g. after their program directory was removed). */
  forget(): void {
    this.stacks.clear();
  }
}
