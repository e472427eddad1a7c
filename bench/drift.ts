// The drift table (`npm run bench -- --drift`): one scripted scenario per row, run with each tool
// against the real Keystone + Glance, recording the exit code of the step the row is about (the drift
// check, or the create or destroy) and the first meaningful line the tool printed.
//
//   tools    ours              ImageShare / MemberAcceptance / AcceptShares through the real Pulumi CLI
//            opentofu          openstack_images_image_access_v2 / _accept_v2 (terraform-provider-openstack 3.4.0)
//            pulumi-openstack  @pulumi/openstack 3.15.2 images.ImageAccess / ImageAccessAccept (bridged provider)
//   checks   ours, pulumi-openstack: pulumi preview --refresh --expect-no-changes  (0 clean, 7 changes, else error)
//            opentofu:                tofu plan -refresh-only -detailed-exitcode  (0 clean, 2 changes, 1 error)
//
// Each tool gets the same stacks as a user would write them: a producer stack (the image owner's
// credentials) and a consumer stack (the member's), separate, each naming its clouds.yaml entry
// (ours: the `cloud` input; the peers: a provider configuration with `cloud = "<entry>"`). Every
// scenario starts from fresh images and stacks and deletes its images at the end. Ids and URLs in
// the lines are replaced by placeholders (<image>, <consumer>, <glance>, ...); no password is ever
// in them (checked: the run fails if one appears anywhere a tool printed).
import * as fs from "node:fs";
import * as path from "node:path";
import {
  addMemberRaw,
  createImage,
  deleteImage,
  deleteMemberRaw,
  getMemberRaw,
  glanceRaw,
  setImageVisibility,
  setMemberStatusRaw,
} from "../dev/harness/images";
import type { OpenStack } from "../dev/harness/openstack";
import { createProgramDir, type ProgramDir, projectPackage } from "../dev/harness/programs";
import { type RunResult as CliResult, PulumiStack, pulumiCli } from "../dev/harness/pulumi";
import { useProgram, writeInputs } from "./folder-program";
import {
  type OpenStackSdk,
  type Peers,
  type PulumiOpenStackPeer,
  peersCloudsFile,
  pulumiOpenStackEnv,
  pulumiOpenStackProgramDir,
  type TofuPeer,
} from "./peers";
import { hcl, TofuDir, type TofuRun, tofuConfig } from "./tofu";

export type Tool = "ours" | "opentofu" | "pulumi-openstack";
export const TOOLS: Tool[] = ["ours", "opentofu", "pulumi-openstack"];
type Entry = "producer" | "consumer" | "outsider" | "admin";

export const CHECK_COMMANDS: Record<Tool, string> = {
  ours: "pulumi preview --refresh --expect-no-changes",
  opentofu: "tofu plan -refresh-only -detailed-exitcode",
  "pulumi-openstack": "pulumi preview --refresh --expect-no-changes",
};
const APPLY_COMMANDS: Record<Tool, string> = { ours: "pulumi up", opentofu: "tofu apply -auto-approve", "pulumi-openstack": "pulumi up" };
const DESTROY_COMMANDS: Record<Tool, string> = {
  ours: "pulumi destroy",
  opentofu: "tofu destroy -auto-approve",
  "pulumi-openstack": "pulumi destroy",
};

// --- what a stack declares, and each tool's way of declaring it -----------------------------------

type Decl =
  /** The producer shares `imageId` with `memberId`. */
  | { kind: "share"; cloud: Entry; imageId: string; memberId: string }
  /** A consumer-side answer to the share of `imageId` (member: the credential's project unless given). */
  | { kind: "accept"; cloud: Entry; imageId: string; status: string; memberId?: string }
  /** Accept every image `owner` shares with the credential's project whose name starts with `prefix`. */
  | { kind: "acceptFrom"; cloud: Entry; owner: string; prefix: string };

/** One command's outcome. */
export interface Cmd {
  command: string;
  exitCode: number;
  /** The first meaningful line it printed (placeholders not yet applied). */
  line: string;
  /** Everything it printed (for the secret scan). */
  output: string;
}

interface Stack {
  apply(): Promise<Cmd>;
  check(): Promise<Cmd>;
  destroy(): Promise<Cmd>;
  /** opentofu: `tofu plan -detailed-exitcode` (the plan a plain run would make). */
  plan?(): Promise<Cmd>;
  /** What repairs drift: `pulumi up --refresh`, `tofu apply -auto-approve` (which refreshes first). */
  repair(): Promise<Cmd>;
  remove(): Promise<void>;
}

interface Driver {
  tool: Tool;
  stack(label: string, decls: Decl[]): Promise<Stack>;
}

type Pkg = typeof import("pulumi-image-members");

/** Pulumi's outcome line: the error, else the first step that would change something, else the
 *  first warning, else the change summary. */
export function pulumiLine(r: CliResult): string {
  const first = (s: string) =>
    s
      .split("\n")
      .map((l) => l.trim())
      .find(Boolean) ?? "";
  if (r.exitCode !== 0 && r.exitCode !== 7 && r.errors.length) return first(r.errors[0]);
  const stepLine = r.stdout
    .split("\n")
    .map((l) => l.trim())
    .find(
      (l) =>
        /^(\+-|\+\+|--|[~+-]|>-|<=|=)\s+\S+:\S+\s+\S+\s+(create|update|delete|replace|create-replacement|delete-replaced|read|import)\b/.test(
          l,
        ) && !/pulumi:pulumi:Stack|pulumi:providers:/.test(l),
    );
  if (stepLine) return stepLine.replace(/\s+/g, " ");
  // (the CLI's own warning that it took a plugin from PATH, as the bridged peer is given to it, is not the tool's answer)
  const warning = r.events
    .map((e) => e.diagnosticEvent)
    .find(
      (d) =>
        d &&
        d.severity === "warning" &&
        !/^\s*$/.test(d.message) &&
        !/^using pulumi-resource-\S+ from \$PATH/.test(String(d.message).trim()),
    );
  if (warning) return `warning: ${first(String(warning.message).replace(/\u001b\[[0-9;]*m/g, ""))}`;
  // a plugin's own warnings reach the CLI's display as `warning: …` lines under the resource
  const printed = r.stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => /^warning: /.test(l) && !/^warning: using pulumi-resource-\S+ from \$PATH/.test(l));
  if (printed) return printed.replace(/^warning: \[runtime\] /, "warning: ");
  if (r.exitCode !== 0) return first(r.message ?? r.stderr);
  const m = /Resources:\s*\n((?:\s+\S.*\n?)+)/.exec(r.stdout);
  if (m) {
    const counts = m[1]
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /^[+~-]?\s*\d+ \w+/.test(l));
    return `Resources: ${counts.join(", ")}`;
  }
  return first(r.stdout);
}

/** OpenTofu's outcome line: the first error, else the first resource it says changed (with the
 *  first attribute line under it), else its closing line. */
export function tofuLine(r: TofuRun): string {
  const lines = `${r.stdout}\n${r.stderr}`.split("\n").map((l) => l.replace(/^[│╷╵]\s?/, "").trim());
  const error = lines.find((l) => /^Error: /.test(l));
  if (error) {
    // the summary, and the detail line after it when the summary alone says little
    const i = lines.indexOf(error);
    const detail = lines.slice(i + 1).find(Boolean);
    return error.length < 60 && detail ? `${error} ${detail}` : error;
  }
  const closing = lines.find((l) => /^(No changes\.|Apply complete!|Destroy complete!)/.test(l));
  // a successful apply or destroy: its closing line (the plan it printed first is not the outcome)
  if (r.code === 0 && closing && /^(apply|destroy)$/.test(r.args[0]) && !r.args.includes("-refresh-only")) return closing;
  const change = lines.findIndex((l) => /^# \S+ (has changed|has been deleted|will be|must be|is tainted)/.test(l));
  if (change >= 0) {
    // what changed, when something did (a deleted object lists every attribute going to null)
    const attr = /has changed|will be updated/.test(lines[change])
      ? lines.slice(change + 1, change + 12).find((l) => /^~\s+\w+\s+=/.test(l))
      : undefined;
    return attr ? `${lines[change]}: ${attr.replace(/\s+/g, " ")}` : lines[change];
  }
  return closing ?? lines.find((l) => /^Plan: /.test(l)) ?? lines.find(Boolean) ?? "";
}

const fromCli = (command: string, r: CliResult): Cmd => ({
  command,
  exitCode: r.exitCode,
  line: pulumiLine(r),
  output: `${r.output}\n${r.message ?? ""}`,
});
const fromTofu = (command: string, r: TofuRun): Cmd => ({
  command,
  exitCode: r.code,
  line: tofuLine(r),
  output: `${r.stdout}\n${r.stderr}`,
});

/** The folder's own program (its index.js, from bench/programs/), run by the CLI's language host. */
const program = {};

/** Ours: ImageShare / MemberAcceptance / AcceptShares, each naming its clouds.yaml entry with `cloud`
 *  (bench/programs/drift-ours.js, the declarations in inputs/<stack>.json). */
function oursDriver(cloudsFile: string): Driver {
  return {
    tool: "ours",
    async stack(label, decls) {
      const prog: ProgramDir = await createProgramDir(projectPackage(), { label: `drift-${label}`, outsideRepository: true });
      useProgram(prog.dir, "drift-ours.js");
      writeInputs(prog.dir, label, { decls });
      const eng = await PulumiStack.create<Pkg>({
        programDir: prog,
        project: "drift",
        stack: label,
        env: { OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLOUD: undefined },
      });
      return {
        apply: async () => fromCli(APPLY_COMMANDS.ours, await eng.up(program, { allowFailure: true })),
        repair: async () => fromCli("pulumi up --refresh", await eng.up(program, { refresh: true, allowFailure: true })),
        check: async () =>
          fromCli(CHECK_COMMANDS.ours, await eng.preview(program, { refresh: true, expectNoChanges: true, allowFailure: true })),
        destroy: async () => fromCli(DESTROY_COMMANDS.ours, await eng.destroy({ allowFailure: true })),
        remove: async () => prog.remove(),
      };
    },
  };
}

/** The bridged provider: @pulumi/openstack's ImageAccess / ImageAccessAccept, one explicit
 *  openstack.Provider per clouds.yaml entry (`cloud`) (bench/programs/drift-openstack.js, the
 *  declarations in inputs/<stack>.json). */
function bridgedDriver(cloudsFile: string, peer: PulumiOpenStackPeer): Driver {
  return {
    tool: "pulumi-openstack",
    async stack(label, decls) {
      const prog = pulumiOpenStackProgramDir(peer, `drift-${label}`);
      useProgram(prog.dir, "drift-openstack.js");
      writeInputs(prog.dir, label, { decls });
      const eng = await PulumiStack.create<OpenStackSdk>({
        programDir: prog,
        project: "drift",
        stack: label,
        env: { OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLOUD: undefined, ...pulumiOpenStackEnv(peer, pulumiCli().binDir) },
      });
      return {
        apply: async () => fromCli(APPLY_COMMANDS["pulumi-openstack"], await eng.up(program, { allowFailure: true })),
        repair: async () => fromCli("pulumi up --refresh", await eng.up(program, { refresh: true, allowFailure: true })),
        check: async () =>
          fromCli(
            CHECK_COMMANDS["pulumi-openstack"],
            await eng.preview(program, { refresh: true, expectNoChanges: true, allowFailure: true }),
          ),
        destroy: async () => fromCli(DESTROY_COMMANDS["pulumi-openstack"], await eng.destroy({ allowFailure: true })),
        remove: async () => prog.remove(),
      };
    },
  };
}

/** The HCL of a stack's declarations: one aliased provider configuration per clouds.yaml entry. */
export function tofuBody(decls: Decl[]): { providers: Entry[]; body: string } {
  const providers = [...new Set(decls.map((d) => d.cloud))];
  const blocks = decls.map((d) => {
    const provider = `  provider = openstack.${d.cloud}`;
    if (d.kind === "share") {
      return [
        `resource "openstack_images_image_access_v2" "share" {`,
        provider,
        `  image_id  = ${hcl(d.imageId)}`,
        `  member_id = ${hcl(d.memberId)}`,
        `}`,
      ].join("\n");
    }
    if (d.kind === "accept") {
      return [
        `resource "openstack_images_image_access_accept_v2" "accept" {`,
        provider,
        `  image_id = ${hcl(d.imageId)}`,
        `  status   = ${hcl(d.status)}`,
        ...(d.memberId ? [`  member_id = ${hcl(d.memberId)}`] : []),
        `}`,
      ].join("\n");
    }
    // the composition a Terraform user has: the image-ids data source, then one acceptance per id
    return [
      `data "openstack_images_image_ids_v2" "trusted" {`,
      provider,
      `  owner         = ${hcl(d.owner)}`,
      `  member_status = "all"`,
      `  visibility    = "shared"`,
      `  name_regex    = ${hcl(`^${d.prefix}`)}`,
      `}`,
      `resource "openstack_images_image_access_accept_v2" "trusted" {`,
      provider,
      `  for_each = toset(data.openstack_images_image_ids_v2.trusted.ids)`,
      `  image_id = each.key`,
      `  status   = "accepted"`,
      `}`,
    ].join("\n");
  });
  return { providers, body: blocks.join("\n") };
}

function tofuDriver(cloudsFile: string, peer: TofuPeer): Driver {
  return {
    tool: "opentofu",
    async stack(label, decls) {
      const t = TofuDir.create(peer, `drift-${label}`, { OS_CLIENT_CONFIG_FILE: cloudsFile });
      const { providers, body } = tofuBody(decls);
      t.write(
        tofuConfig(
          providers.map((cloud) => ({ alias: cloud, cloud })),
          body,
        ),
      );
      await t.init();
      const run = async (command: string, args: string[]) =>
        fromTofu(command, await t.run([...args, "-input=false"], { timeoutMs: 300_000 }));
      return {
        apply: () => run(APPLY_COMMANDS.opentofu, ["apply", "-auto-approve"]),
        repair: () => run(APPLY_COMMANDS.opentofu, ["apply", "-auto-approve"]),
        check: () => run(CHECK_COMMANDS.opentofu, ["plan", "-refresh-only", "-detailed-exitcode"]),
        destroy: () => run(DESTROY_COMMANDS.opentofu, ["destroy", "-auto-approve"]),
        plan: () => run("tofu plan -detailed-exitcode", ["plan", "-detailed-exitcode"]),
        remove: async () => t.remove(),
      };
    },
  };
}

// --- the scenarios ---------------------------------------------------------------------------------

interface Ctx {
  tool: Tool;
  cloudsFile: string;
  projects: Record<Entry, string>;
  /** A fresh image of the producer's, visibility shared; deleted when the scenario ends. With
   *  `active`, a few bytes are uploaded so that its status is active (the peers' image-ids data
   *  source lists active images only). */
  image(name?: string, active?: boolean): Promise<string>;
  /** The producer shares the image with a project (by hand: Glance's API, not a stack). */
  share(imageId: string, member?: Entry): Promise<void>;
  stack(side: string, decls: Decl[]): Promise<Stack>;
  /** Fails the scenario when a setup command did not exit 0. */
  must(c: Cmd): Cmd;
  /** The member's status as Glance has it (as the producer sees it), or "none". */
  status(imageId: string, member: Entry): Promise<string>;
}

export interface Outcome {
  cmd: Cmd;
  /** What else was measured (e.g. the membership's status afterwards). */
  extra?: string;
  /** Further commands worth naming, in order (opentofu's plain `tofu plan -detailed-exitcode`
   *  after each drift check; the repair after the image was made private). */
  also?: Cmd[];
}

export interface Scenario {
  id: string;
  /** The row's first column: what happened, and whose check or step is measured. */
  title: string;
  step: "drift check" | "create" | "destroy";
  run(ctx: Ctx): Promise<Outcome>;
}

/** opentofu's plain plan (what a plain `tofu plan -detailed-exitcode` check would say), after its drift check. */
async function plainPlan(s: Stack): Promise<Cmd[]> {
  return s.plan ? [await s.plan()] : [];
}

async function ok<T extends { status: number }>(what: string, r: Promise<T>): Promise<T> {
  const res = await r;
  if (res.status >= 300) throw new Error(`${what}: Glance answered ${res.status}`);
  return res;
}

export const SCENARIOS: Scenario[] = [
  {
    id: "a",
    title: "the consumer accepts (producer's check)",
    step: "drift check",
    async run(c) {
      const img = await c.image();
      const s = await c.stack("producer", [{ kind: "share", cloud: "producer", imageId: img, memberId: c.projects.consumer }]);
      c.must(await s.apply());
      await ok("accepting", setMemberStatusRaw(c.cloudsFile, "consumer", img, c.projects.consumer, "accepted"));
      const cmd = await s.check();
      return { cmd, also: await plainPlan(s) };
    },
  },
  {
    id: "b",
    title: "the consumer's status changed by hand, accepted → rejected (consumer's check)",
    step: "drift check",
    async run(c) {
      const img = await c.image();
      await c.share(img);
      const s = await c.stack("consumer", [{ kind: "accept", cloud: "consumer", imageId: img, status: "accepted" }]);
      c.must(await s.apply());
      await ok("rejecting", setMemberStatusRaw(c.cloudsFile, "consumer", img, c.projects.consumer, "rejected"));
      const cmd = await s.check();
      return { cmd, also: await plainPlan(s) };
    },
  },
  {
    id: "c",
    title: "the share removed by hand (producer's check)",
    step: "drift check",
    async run(c) {
      const img = await c.image();
      const s = await c.stack("producer", [{ kind: "share", cloud: "producer", imageId: img, memberId: c.projects.consumer }]);
      c.must(await s.apply());
      await ok("removing the share", deleteMemberRaw(c.cloudsFile, "producer", img, c.projects.consumer));
      const cmd = await s.check();
      return { cmd, also: await plainPlan(s) };
    },
  },
  {
    id: "d1",
    title: "the image made private (producer's check; then the repair: `pulumi up --refresh`, `tofu apply`)",
    step: "drift check",
    async run(c) {
      const img = await c.image();
      const s = await c.stack("producer", [{ kind: "share", cloud: "producer", imageId: img, memberId: c.projects.consumer }]);
      c.must(await s.apply());
      await setImageVisibility(c.cloudsFile, "producer", img, "private");
      const cmd = await s.check();
      return { cmd, also: [...(await plainPlan(s)), await s.repair()] };
    },
  },
  {
    id: "d2",
    title: "the image deleted (producer's check)",
    step: "drift check",
    async run(c) {
      const img = await c.image();
      const s = await c.stack("producer", [{ kind: "share", cloud: "producer", imageId: img, memberId: c.projects.consumer }]);
      c.must(await s.apply());
      await deleteImage(c.cloudsFile, "producer", img);
      const cmd = await s.check();
      return { cmd, also: await plainPlan(s) };
    },
  },
  {
    id: "e1",
    title: "the membership already exists at create, nobody answered it (producer's create)",
    step: "create",
    async run(c) {
      const img = await c.image();
      await c.share(img);
      const s = await c.stack("producer", [{ kind: "share", cloud: "producer", imageId: img, memberId: c.projects.consumer }]);
      return { cmd: await s.apply() };
    },
  },
  {
    id: "e2",
    title: "the membership already exists at create, accepted by the consumer (producer's create)",
    step: "create",
    async run(c) {
      const img = await c.image();
      await c.share(img);
      await ok("accepting", setMemberStatusRaw(c.cloudsFile, "consumer", img, c.projects.consumer, "accepted"));
      const s = await c.stack("producer", [{ kind: "share", cloud: "producer", imageId: img, memberId: c.projects.consumer }]);
      return { cmd: await s.apply() };
    },
  },
  {
    id: "f1",
    title: "an admin credential on the consumer side, no member id; the image shared with 2 projects (create)",
    step: "create",
    async run(c) {
      const img = await c.image();
      await c.share(img);
      await c.share(img, "outsider");
      const s = await c.stack("admin", [{ kind: "accept", cloud: "admin", imageId: img, status: "accepted" }]);
      const cmd = await s.apply();
      return { cmd, extra: `afterwards: <consumer> ${await c.status(img, "consumer")}, <outsider> ${await c.status(img, "outsider")}` };
    },
  },
  {
    id: "f2",
    title: "an admin credential on the consumer side, no member id; the image shared with 1 project (create)",
    step: "create",
    async run(c) {
      const img = await c.image();
      await c.share(img);
      const s = await c.stack("admin", [{ kind: "accept", cloud: "admin", imageId: img, status: "accepted" }]);
      const cmd = await s.apply();
      return { cmd, extra: `afterwards: <consumer> ${await c.status(img, "consumer")}` };
    },
  },
  {
    id: "g",
    title: "a new share from a trusted producer (consumer's check; peers: image-ids data source + one acceptance per id)",
    step: "drift check",
    async run(c) {
      const prefix = `drift-g-${c.tool}-${Date.now().toString(36)}-`;
      const first = await c.image(`${prefix}1`, true);
      await c.share(first);
      const s = await c.stack("consumer", [{ kind: "acceptFrom", cloud: "consumer", owner: c.projects.producer, prefix }]);
      c.must(await s.apply());
      const second = await c.image(`${prefix}2`, true);
      await c.share(second);
      const cmd = await s.check();
      const also = await plainPlan(s);
      return { cmd, also, extra: `first image: ${await c.status(first, "consumer")}` };
    },
  },
  {
    id: "h",
    title: "the consumer's stack runs before the producer shared (consumer's create)",
    step: "create",
    async run(c) {
      const img = await c.image();
      const s = await c.stack("consumer", [{ kind: "accept", cloud: "consumer", imageId: img, status: "accepted" }]);
      return { cmd: await s.apply() };
    },
  },
  {
    id: "i",
    title: 'a status in the wrong case, "Accepted" (consumer\'s create)',
    step: "create",
    async run(c) {
      const img = await c.image();
      await c.share(img);
      const s = await c.stack("consumer", [{ kind: "accept", cloud: "consumer", imageId: img, status: "Accepted" }]);
      const cmd = await s.apply();
      return { cmd, extra: `afterwards: <consumer> ${await c.status(img, "consumer")}` };
    },
  },
  {
    id: "j",
    title: "the consumer's stack destroyed (its destroy; the status it leaves)",
    step: "destroy",
    async run(c) {
      const img = await c.image();
      await c.share(img);
      const s = await c.stack("consumer", [{ kind: "accept", cloud: "consumer", imageId: img, status: "accepted" }]);
      c.must(await s.apply());
      const cmd = await s.destroy();
      return { cmd, extra: `afterwards: <consumer> ${await c.status(img, "consumer")}` };
    },
  },
];

// --- running them ----------------------------------------------------------------------------------

export interface Cell {
  tool: Tool;
  command?: string;
  exitCode?: number;
  line?: string;
  extra?: string;
  also?: { command: string; exitCode: number; line: string }[];
  /** "not built: …", or "harness error: …" when the scenario itself could not be run. */
  notMeasured?: string;
  seconds?: number;
}

export interface DriftRow {
  id: string;
  title: string;
  step: Scenario["step"];
  cells: Partial<Record<Tool, Cell>>;
}

export interface DriftResults {
  meta: { startedAt: string; pulumi: string; peers: Record<string, string>; checkCommands: Record<Tool, string>; seconds?: number };
  rows: DriftRow[];
}

export interface DriftOptions {
  rig: Pick<OpenStack, "cloudsFile" | "projects" | "password" | "adminPassword" | "authUrl" | "imageUrl">;
  peers: Peers;
  /** Only these scenarios (ids), default all. */
  only?: string[];
  log?: (line: string) => void;
}

/** Replaces ids and URLs with placeholders; throws if a password is in the text. */
export function redactor(rig: DriftOptions["rig"], secrets: string[]): (text: string, images?: Record<string, string>) => string {
  const fixed: [string, string][] = [
    [new URL(rig.authUrl).origin, "<keystone>"],
    [rig.imageUrl.replace(/\/+$/, ""), "<glance>"],
    ...Object.entries(rig.projects).map(([k, v]) => [v, `<${k}>`] as [string, string]),
  ];
  return (text, images = {}) => {
    for (const s of secrets) if (s && text.includes(s)) throw new Error("a password appears in what a tool printed");
    let out = text;
    for (const [from, to] of [...Object.entries(images), ...fixed]) out = out.split(from).join(to);
    // Glance's HTML line breaks at the end of its messages, and times
    return out.replace(/(<br \/>)+(\\n|\s)*/g, "").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>");
  };
}

export async function runDrift(options: DriftOptions): Promise<DriftResults> {
  const log = options.log ?? (() => {});
  const { rig, peers } = options;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const redact = redactor(rig, [rig.password, rig.adminPassword]);
  const peersClouds = peersCloudsFile(rig.cloudsFile);
  const drivers: Partial<Record<Tool, Driver | string>> = {
    ours: oursDriver(rig.cloudsFile),
    opentofu: !peers.opentofu
      ? "not built: not looked for"
      : peers.opentofu.built
        ? tofuDriver(peersClouds, peers.opentofu)
        : `not built: ${peers.opentofu.reason}`,
    "pulumi-openstack": !peers["pulumi-openstack"]
      ? "not built: not looked for"
      : peers["pulumi-openstack"].built
        ? bridgedDriver(peersClouds, peers["pulumi-openstack"])
        : `not built: ${peers["pulumi-openstack"].reason}`,
  };
  const rows: DriftRow[] = [];
  // every program runs under the CLI's language host, with its stack's environment (the rig's
  // clouds.yaml, no OS_CLOUD): nothing of this process's environment needs changing
  await runScenarios();
  async function runScenarios(): Promise<void> {
    const scenarios = SCENARIOS.filter((s) => !options.only || options.only.includes(s.id));
    for (const scenario of scenarios) {
      const row: DriftRow = { id: scenario.id, title: scenario.title, step: scenario.step, cells: {} };
      for (const tool of TOOLS) {
        const driver = drivers[tool]!;
        if (typeof driver === "string") {
          row.cells[tool] = { tool, notMeasured: driver };
          continue;
        }
        const t0 = performance.now();
        const images: string[] = [];
        const stacks: Stack[] = [];
        const ctx: Ctx = {
          tool,
          cloudsFile: rig.cloudsFile,
          projects: rig.projects as Record<Entry, string>,
          image: async (name, active) => {
            const id = await createImage(rig.cloudsFile, "producer", {
              visibility: "shared",
              name: name ?? `drift-${scenario.id}-${tool}`,
            });
            images.push(id);
            if (active) {
              const up = await glanceRaw(
                rig.cloudsFile,
                "producer",
                "PUT",
                `/v2/images/${id}/file`,
                "drift-table",
                "application/octet-stream",
              );
              if (up.status !== 204) throw new Error(`uploading image data answered ${up.status}`);
            }
            return id;
          },
          share: async (imageId, member = "consumer") => {
            await ok(`sharing with ${member}`, addMemberRaw(rig.cloudsFile, "producer", imageId, rig.projects[member]));
          },
          stack: async (side, decls) => {
            const s = await driver.stack(`${scenario.id}-${side}-${tool}`.replace(/[^A-Za-z0-9-]/g, "-"), decls);
            stacks.push(s);
            return s;
          },
          must: (c) => {
            if (c.exitCode !== 0) throw new Error(`setup step \`${c.command}\` exited with ${c.exitCode}: ${c.line}`);
            return c;
          },
          status: async (imageId, member) => {
            const r = await getMemberRaw(rig.cloudsFile, "producer", imageId, rig.projects[member]);
            return r.status === 200 ? String(r.body.status) : r.status === 404 ? "no membership" : `GET answered ${r.status}`;
          },
        };
        const names = () => Object.fromEntries(images.map((id, i) => [id, i === 0 ? "<image>" : `<image${i + 1}>`]));
        let cell: Cell;
        try {
          const o = await scenario.run(ctx);
          const outputs = [o.cmd.output, ...(o.also ?? []).map((a) => a.output)];
          for (const text of outputs) redact(text); // throws on a password
          cell = {
            tool,
            command: o.cmd.command,
            exitCode: o.cmd.exitCode,
            line: redact(o.cmd.line, names()),
            ...(o.extra ? { extra: redact(o.extra, names()) } : {}),
            ...(o.also?.length
              ? { also: o.also.map((a) => ({ command: a.command, exitCode: a.exitCode, line: redact(a.line, names()) })) }
              : {}),
          };
        } catch (e) {
          const message = (e as Error).message;
          if (/a password appears/.test(message)) throw e;
          cell = { tool, notMeasured: `harness error: ${redact(message.split("\n")[0], names())}` };
        } finally {
          for (const s of stacks) await s.remove().catch(() => undefined);
          for (const id of images) await deleteImage(rig.cloudsFile, "producer", id).catch(() => undefined);
        }
        cell.seconds = (performance.now() - t0) / 1000;
        row.cells[tool] = cell;
        log(
          `${scenario.id} ${tool}: ${cell.notMeasured ?? `${scenario.step} exited ${cell.exitCode}: ${cell.line}${cell.extra ? ` (${cell.extra})` : ""}`} ` +
            `(${cell.seconds.toFixed(1)} s; ${((performance.now() - started) / 1000).toFixed(0)} s in all)`,
        );
      }
      rows.push(row);
    }
  }
  const peerInfo: Record<string, string> = {};
  for (const t of ["opentofu", "pulumi-openstack"] as const) {
    const p = peers[t];
    peerInfo[t] = !p
      ? "not looked for"
      : p.built
        ? t === "opentofu"
          ? `${(p as TofuPeer).version}, terraform-provider-openstack ${(p as TofuPeer).providerVersion}`
          : `@pulumi/openstack ${(p as PulumiOpenStackPeer).sdkVersion}, bridged pulumi-resource-openstack ${(p as PulumiOpenStackPeer).pluginVersion}`
        : `not built: ${p.reason}`;
  }
  return {
    meta: {
      startedAt,
      pulumi: pulumiCli().version,
      peers: peerInfo,
      checkCommands: CHECK_COMMANDS,
      seconds: (performance.now() - started) / 1000,
    },
    rows,
  };
}

/** A Markdown code span of `text` (doubled backticks when it holds one). */
const code = (text: string): string => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);

/** The line as the table shows it: the bridge's source location and provider suffix, and the
 *  fields of Glance's error body after its message, left out; at most 260 characters. */
export function tableLine(line: string): string {
  const short = line
    .replace(/^sdk-v2\/provider2\.go:\d+: sdk\.helper_schema: /, "")
    .replace(/: provider=openstack@[\d.]+$/, "")
    .replace(/(\{"message": "[^"]*")(, "code": "[^"]*")?(, "title": "[^"]*")?\}/g, "$1, …}");
  return short.length > 260 ? `${short.slice(0, 257)}...` : short;
}

const cellText = (c: Cell | undefined): string => {
  if (!c) return "";
  if (c.notMeasured) return c.notMeasured;
  const line = tableLine(c.line ?? "");
  let text = `**${c.exitCode}** — ${line ? code(line) : "(nothing printed)"}`;
  for (const a of c.also ?? []) text += `; ${code(a.command)}: **${a.exitCode}** — ${code(tableLine(a.line))}`;
  // placeholders outside code spans would read as HTML tags
  if (c.extra) text += ` (${c.extra.replace(/<(\w+)>/g, "`<$1>`")})`;
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
};

const HEADERS: Record<Tool, string> = {
  ours: "pulumi-image-members",
  opentofu: "OpenTofu + terraform-provider-openstack 3.4.0",
  "pulumi-openstack": "bridged `@pulumi/openstack` 3.15.2",
};

/** The Markdown table: rows = scenarios, columns = tools; each cell the exit code and the line. */
export function formatDriftTable(results: DriftResults): string {
  const out: string[] = [];
  out.push(`| scenario (step measured) | ${TOOLS.map((t) => HEADERS[t]).join(" | ")} |`);
  out.push(`| --- | ${TOOLS.map(() => "---").join(" | ")} |`);
  for (const r of results.rows) {
    out.push(`| ${r.id}. ${r.title} | ${TOOLS.map((t) => cellText(r.cells[t])).join(" | ")} |`);
  }
  out.push("");
  out.push(
    `Drift checks: ${TOOLS.map((t) => `${HEADERS[t]}: \`${CHECK_COMMANDS[t]}\``).join("; ")} ` +
      "(pulumi: 0 clean, 7 changes, other: error; tofu: 0 clean, 2 changes, 1 error). Create rows: `pulumi up` / `tofu apply -auto-approve`; " +
      `destroy rows: \`pulumi destroy\` / \`tofu destroy -auto-approve\`. Pulumi CLI ${results.meta.pulumi}; ` +
      `${Object.entries(results.meta.peers)
        .map(([k, v]) => `${k}: ${v}`)
        .join("; ")}.`,
  );
  return out.join("\n");
}

export function writeDrift(results: DriftResults, tableFile: string, jsonFile: string): void {
  fs.mkdirSync(path.dirname(path.resolve(tableFile)), { recursive: true });
  fs.writeFileSync(tableFile, `${formatDriftTable(results)}\n`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
}
