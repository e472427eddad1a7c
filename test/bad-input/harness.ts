/**
 * What the bad-input tests share: a stack per case in one program directory (the package installed as
 * users get it), Keystone and Glance each behind a counting proxy (a fault proxy without faults), and
 * a clouds.yaml copy that goes through both. A case runs `pulumi up` of a small program that must
 * fail; the harness checks that the run failed with exit code 1, that nothing landed in the state,
 * that the members of every image involved are what they were, and returns the errors as the user
 * sees them plus the requests each proxy saw, for the test to assert exactly.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { Engine, type RunResult, type StackConfig } from "../engine/engine";
import { createProgramDir, projectPackage, type ProgramDir } from "../../harness/programs";
import { testCloud, type TestCloud } from "../support/cloud";
import { cloudsFileVia, removeCloudsCopies, startFaultProxy, type FaultProxy } from "../../harness/fault-proxy";
import { addMemberRaw, createImage, listMembersRaw } from "../../harness/images";
import { LeakWatch } from "../support/leaks";
import type { CloudEntry } from "../../harness/openstack";

export type Pkg = typeof import("pulumi-image-members");
export type CaseProgram = (pkg: Pkg) => unknown;

export const IM = "pulumi-nodejs:dynamic/glance:ImageMember";
export const MA = "pulumi-nodejs:dynamic/glance:MemberAcceptance";

/** A failed step as the CLI lists it: `<type> (<name>): error: <message>`. */
export const stepError = (type: string, name: string, message: string) => `${type} (${name}): error: ${message}`;

/** Check failures as the engine prints them (step_generator.go issueCheckErrors), joined as the emulator joins them. */
export function checkError(type: string, name: string, failures: [property: string, shownValue: string, reason: string][]): string {
  return stepError(type, name, failures.map(([p, v, r]) => `${type} resource '${name}': property ${p} value ${v} has a problem: ${r}`).join("; "));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A message with Glance's own wording in the middle: everything this project composes is matched
 * exactly, Glance's sentence (which differs between policy modes) by `.+`.
 */
export function withGlanceWording(before: string, after: string): RegExp {
  return new RegExp(`^${escape(before)}.+${escape(after)}$`);
}

/** Every `OS_*` variable of this process removed, for runs that must see only what the case gives. */
export function noOsEnv(): Record<string, undefined> {
  return Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OS_")).map((k) => [k, undefined]));
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
  result: RunResult;
  errors: string[];
  /** What each proxy saw during the up, as `METHOD path status`. */
  keystone: string[];
  glance: string[];
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
      createImage(cloud.cloudsFile, "producer", { visibility: "shared", name: `${label}-target` }),
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

  newEngine(config: StackConfig, env: Record<string, string | undefined>): Engine<Pkg> {
    return this.leaks.engine(new Engine<Pkg>({ programDir: this.prog, config, env, stack: `case-${++this.stacks}` }));
  }

  async members(image: ImageRef): Promise<string[]> {
    const r = await listMembersRaw(this.cloud.cloudsFile, image.owner, image.id);
    // a private image has no member list (Glance answers 403): that answer must not change either
    if (r.status !== 200) return [`(no member list: ${r.status})`];
    return (r.body.members as { member_id: string; status: string }[]).map((m) => `${m.member_id}:${m.status}`).sort();
  }

  /** `pulumi up` that must fail; see the file comment for what is checked on the way. */
  async failingUp(program: CaseProgram, opts: CaseOptions = {}): Promise<CaseResult> {
    const images = opts.images ?? [{ id: this.image, owner: "producer" }];
    const before = await Promise.all(images.map((i) => this.members(i)));
    const eng = this.newEngine(opts.config ?? { "openstack:cloud": "producer" }, opts.env ?? { OS_CLIENT_CONFIG_FILE: this.cloudsFile });
    const preview = opts.preview ? this.leaks.result(await eng.preview(program, { allowFailure: true })) : undefined;
    this.keystone.reset();
    this.glance.reset();
    const result = this.leaks.result(await eng.up(program, { allowFailure: true }));
    const seen = (p: FaultProxy) => p.log().map((e) => `${e.method} ${e.path} ${e.clientSaw ?? e.error ?? "?"}`);
    const keystone = seen(this.keystone);
    const glance = seen(this.glance);
    expect(result.ok).toBe(false);
    expect(result.exitCode).toBe(1);
    // nothing half-done: no resource of this package in the state, no member added or changed
    const recorded = eng.readState().resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    expect(recorded.map((r) => r.urn)).toEqual([]);
    expect(await Promise.all(images.map((i) => this.members(i)))).toEqual(before);
    if (preview) {
      // `pulumi preview` reported the same problems, before anything ran
      expect(preview.exitCode, "preview's exit code").toBe(1);
      expect(preview.errors).toEqual(result.errors);
    }
    return { result, errors: result.errors, keystone, glance };
  }

  async stop(): Promise<void> {
    this.leaks.forget();
    await Promise.all([this.keystone.close(), this.glance.close()]);
    this.prog.remove();
    if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
    removeCloudsCopies();
  }
}
