/**
 * What the bad-input tests share: a stack per case in one program directory (the package installed as
 * users get it), run by the real Pulumi CLI, Keystone and Glance each behind a counting proxy (a fault
 * proxy without faults), and a clouds.yaml copy that goes through both. A case runs `pulumi up` of a
 * small program that must fail; the harness checks that the run failed with exit code 1, that nothing
 * landed in the state, that the members of every image involved are what they were, and returns the
 * errors as the user sees them, the requests each proxy saw and the plugin processes the up started,
 * for the test to assert exactly.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { cloudsFileVia, type FaultProxy, removeCloudsCopies, startFaultProxy } from "../../dev/harness/fault-proxy";
import { addMemberRaw, listMembersRaw } from "../../dev/harness/images";
import type { CloudEntry } from "../../dev/harness/openstack";
import type { ProcessSample } from "../../dev/harness/processes";
import { createProgramDir, type ProgramDir, projectPackage } from "../../dev/harness/programs";
import { PulumiStack, type RunResult, type StackConfig } from "../../dev/harness/pulumi";
import { closingErrors, resourceErrors, stepError } from "../support/cli-output";
import { type TestCloud, testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { LeakWatch } from "../support/leaks";

export { stepError };

export type Pkg = typeof import("pulumi-image-members");
export type CaseProgram = (pkg: Pkg) => unknown;

export const IM = "pulumi-nodejs:dynamic/glance:ImageMember";
export const MA = "pulumi-nodejs:dynamic/glance:MemberAcceptance";
export const IS = "pulumi-nodejs:dynamic/glance:ImageShare";

/**
 * Check failures as the CLI prints them (step_generator.go issueCheckErrors): one error per failure,
 * each `<type> resource '<name>': property <p> value <v> has a problem: <reason>`, with the value in
 * Go's %v form of a property value (`goValue`). Only the first resource whose check fails is reported:
 * the engine stops there.
 */
export function checkErrors(type: string, name: string, failures: [property: string, value: unknown, reason: string][]): string[] {
  return failures.map(([p, v, r]) =>
    stepError(type, name, `${type} resource '${name}': property ${p} value ${goValue(v)} has a problem: ${r}`),
  );
}

/**
 * A program's input value as the CLI shows it in a check failure: Go's %v of a resource.PropertyValue
 * (a struct, so in braces): "" → `{}`, "a/b" → `{a/b}`, -5 → `{-5}`, a missing property → `{<nil>}`,
 * ["a"] → `{[{a}]}`, {a: 1} → `{map[a:{1}]}`.
 */
export function goValue(v: unknown): string {
  const inner = (x: unknown): string => {
    if (x === undefined || x === null) return "<nil>";
    if (Array.isArray(x)) return `[${x.map(goValue).join(" ")}]`;
    if (typeof x === "object") {
      const entries = Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
      return `map[${entries.map(([k, e]) => `${k}:${goValue(e)}`).join(" ")}]`;
    }
    return String(x);
  };
  return `{${inner(v)}}`;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A message with Glance's own wording in the middle: everything this project composes is matched
 * exactly, Glance's sentence (which differs between policy modes) by `.+`.
 */
export function withGlanceWording(before: string, after: string): RegExp {
  return new RegExp(`^${escapeRegExp(before)}.+${escapeRegExp(after)}$`);
}

/** Every `OS_*` variable of this process removed, for runs that must see only what the case gives. */
export function noOsEnv(): Record<string, undefined> {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith("OS_"))
      .map((k) => [k, undefined]),
  );
}

export interface ImageRef {
  id: string;
  /** The clouds.yaml entry that may list its members (its owner). */
  owner: CloudEntry;
}

export interface CaseOptions {
  /** Default `{ "openstack:cloud": "producer" }`. */
  config?: StackConfig;
  /** Default `{ OS_CLIENT_CONFIG_FILE: <the copy through both proxies> }`. */
  env?: Record<string, string | undefined>;
  /** Images whose members must not change; default the rig's shared image. */
  images?: ImageRef[];
  /** Also run `pulumi preview` and expect the same errors (check failures show there first). */
  preview?: boolean;
}

export interface CaseResult {
  /** The case's own stack (its state holds what the up left). */
  stack: PulumiStack<Pkg>;
  result: RunResult;
  /** The resources' errors, as `<type> (<name>): error: <message>` (test/support/cli-output.ts). */
  errors: string[];
  /** The CLI's own errors (no resource): `update failed` when a step failed, none when a check did. */
  closing: string[];
  /** What each proxy saw during the up, as `METHOD path status`. */
  keystone: string[];
  glance: string[];
  /** The dynamic-provider plugin processes the up started (`RunResult.plugins`). */
  plugins: ProcessSample[];
}

export class Rig {
  readonly leaks = new LeakWatch();
  private stacks = 0;
  private tmp?: string;

  private constructor(
    readonly cloud: TestCloud,
    readonly keystone: FaultProxy,
    readonly glance: FaultProxy,
    /** clouds.yaml copy whose entries reach Keystone and Glance through the counting proxies. */
    readonly cloudsFile: string,
    readonly prog: ProgramDir,
    /** A shared image of the producer with one member, `existing-member`. */
    readonly image: string,
  ) {}

  static async start(label: string): Promise<Rig> {
    const cloud = testCloud();
    const [keystone, glance, prog, image] = await Promise.all([
      startFaultProxy(new URL(cloud.authUrl).origin),
      startFaultProxy(cloud.imageUrl),
      createProgramDir(projectPackage(), { label }),
      createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: `${label}-target` }),
    ]);
    const cloudsFile = cloudsFileVia(cloud.cloudsFile, { keystone: keystone.url, glance: glance.url });
    const rig = new Rig(cloud, keystone, glance, cloudsFile, prog, image);
    expect((await addMemberRaw(cloud.cloudsFile, "producer", image, "existing-member")).status).toBe(200);
    return rig;
  }

  /** Passwords and secrets to look for: the cloud's, plus any a test made up. */
  secrets(...more: string[]): string[] {
    return [...this.cloud.secrets, ...more];
  }

  expectNoLeaks(...more: string[]): void {
    this.leaks.expectClean(this.secrets(...more), [this.keystone, this.glance]);
  }

  /** A private temporary directory (mode 0700) for files a test writes; removed by stop(). */
  tempDir(): string {
    this.tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
    return this.tmp;
  }

  /** Writes a clouds.yaml copy (through the proxies) after `edit` changed its parsed document. */
  editedClouds(edit: (doc: { clouds: Record<string, any> }) => void): string {
    const doc = parseYaml(fs.readFileSync(this.cloudsFile, "utf8")) as { clouds: Record<string, any> };
    edit(doc);
    return this.writeFile("clouds.yaml", stringifyYaml(doc));
  }

  writeFile(name: string, text: string): string {
    const file = path.join(this.tempDir(), `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${name}`);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  /** A new stack (`pulumi stack init`, then its config) in the rig's program directory. An `env` value
   *  `undefined` removes the variable from the environment the CLI and its plugin get. */
  async newStack(config: StackConfig, env: Record<string, string | undefined>): Promise<PulumiStack<Pkg>> {
    const stack = await PulumiStack.create<Pkg>({ programDir: this.prog, config, env, stack: `case-${++this.stacks}` });
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete stack.env[k];
    return this.leaks.stack(stack);
  }

  async members(image: ImageRef): Promise<string[]> {
    const r = await listMembersRaw(this.cloud.cloudsFile, image.owner, image.id);
    // a private image has no member list (Glance answers 403): that answer must not change either
    if (r.status !== 200) return [`(no member list: ${r.status})`];
    return (r.body.members as { member_id: string; status: string }[]).map((m) => `${m.member_id}:${m.status}`).sort();
  }

  /** `pulumi up` that must fail; see the file comment for what is checked on the way. */
  async failingUp(caseProgram: CaseProgram, opts: CaseOptions = {}): Promise<CaseResult> {
    // the program's value is not the stack's outputs: a resource returned as one (`(pkg) => new
    // pkg.X(...)`) keeps the program waiting for outputs the failed resource never gets, after the CLI
    // has exited, and its runtime's handlers then report a later program's exception once more each
    const program = (pkg: Pkg) => {
      caseProgram(pkg);
    };
    const images = opts.images ?? [{ id: this.image, owner: "producer" }];
    const before = await Promise.all(images.map((i) => this.members(i)));
    const stack = await this.newStack(
      opts.config ?? { "openstack:cloud": "producer" },
      opts.env ?? { OS_CLIENT_CONFIG_FILE: this.cloudsFile },
    );
    const preview = opts.preview ? this.leaks.result(await stack.preview(program, { allowFailure: true })) : undefined;
    this.keystone.reset();
    this.glance.reset();
    const result = this.leaks.result(await stack.up(program, { allowFailure: true }));
    const plugins = result.plugins;
    const seen = (p: FaultProxy) => p.log().map((e) => `${e.method} ${e.path} ${e.clientSaw ?? e.error ?? "?"}`);
    const keystone = seen(this.keystone);
    const glance = seen(this.glance);
    expect(result.ok).toBe(false);
    expect(result.exitCode).toBe(1);
    // every error the CLI printed is a resource's or its own closing one
    const errors = resourceErrors(result);
    const closing = closingErrors(result);
    expect(errors.length + closing.length).toBe(result.errors.length);
    // and the CLI's Diagnostics section lists them under their resource, once per resource, in the
    // order printed, every line of a message indented under its `error:`
    const section = result.stdout.slice(result.stdout.indexOf("\nDiagnostics:\n"));
    const byResource = new Map<string, string[]>();
    for (const e of errors) {
      const [, header, message] = /^(\S+ \(.+?\)): error: (.*)$/s.exec(e)!;
      byResource.set(header, [...(byResource.get(header) ?? []), message]);
    }
    for (const [header, messages] of byResource) {
      expect(section).toContain(`\n  ${header}:\n${messages.map((msg) => `    error: ${msg.split("\n").join("\n    ")}\n`).join("")}`);
    }
    // nothing half-done: no resource of this package in the state, no member added or changed
    const recorded = stack.resources().filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    expect(recorded.map((r) => r.urn)).toEqual([]);
    expect(await Promise.all(images.map((i) => this.members(i)))).toEqual(before);
    if (preview) {
      // `pulumi preview` reported the same problems, before anything ran
      expect(preview.exitCode, "preview's exit code").toBe(1);
      expect([resourceErrors(preview), closingErrors(preview)]).toEqual([errors, closing]);
    }
    return { stack, result, errors, closing, keystone, glance, plugins };
  }

  async stop(): Promise<void> {
    this.leaks.forget();
    await Promise.all([this.keystone.close(), this.glance.close()]);
    this.prog.remove();
    if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
    removeCloudsCopies();
  }
}
