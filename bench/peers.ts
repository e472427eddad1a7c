// The peer tools `npm run bench -- --peers` (and `--drift`) measure beside this package: OpenTofu
// with terraform-provider-openstack (`openstack_images_image_access_v2` /
// `openstack_images_image_access_accept_v2`), and the bridged Pulumi provider through
// `@pulumi/openstack`'s `images.ImageAccess` / `images.ImageAccessAccept`.
//
// bench/build-peers.sh builds the binaries (once per machine, cached outside the clone); this file asks
// it for them and turns a build that failed into a reason ("not built: …") instead of an error, so
// the benchmark reports it and carries on. `@pulumi/openstack` is installed with npm into the same
// cache root (never into this repository's package.json), and each program directory is a
// hard-linked copy of that install.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { ProcessSample } from "../dev/harness/processes";
import { copyTree, npm, onceAcrossProcesses, type ProgramDir, REPO_ROOT, repoPulumiVersion } from "../dev/harness/programs";

export const TOFU_VERSION = "1.12.6";
export const TPO_VERSION = "3.4.0";
/** The @pulumi/openstack release whose ImageAccess / ImageAccessAccept the bridged provider serves. */
export const PULUMI_OPENSTACK_VERSION = "3.15.2";

/** What the programs use of @pulumi/openstack 3.15.2 (installed at bench time, so not a dependency
 *  whose types this repository has). */
export interface OpenStackSdk {
  Provider: new (name: string, args: { cloud?: string; endpointOverrides?: Record<string, string> }, opts?: object) => object;
  images: {
    ImageAccess: new (name: string, args: { imageId: string; memberId: string; status?: string }, opts?: { provider?: object }) => object;
    ImageAccessAccept: new (
      name: string,
      args: { imageId: string; memberId?: string; status: string },
      opts?: { provider?: object },
    ) => object;
    getImageIds: (args: Record<string, string>, opts?: { provider?: object }) => Promise<{ ids?: string[] }>;
  };
}

export type PeerTool = "opentofu" | "pulumi-openstack";
export const PEER_TOOLS: PeerTool[] = ["opentofu", "pulumi-openstack"];

export interface NotBuilt {
  built: false;
  /** Why, in one line: what the build (or the install) failed with. */
  reason: string;
}

export interface TofuPeer {
  built: true;
  /** The `tofu` executable. */
  tofu: string;
  /** OpenTofu CLI configuration: terraform-provider-openstack from the filesystem mirror only. */
  tofurc: string;
  mirror: string;
  /** `tofu version`'s first line, e.g. "OpenTofu v1.12.6". */
  version: string;
  providerVersion: string;
}

export interface PulumiOpenStackPeer {
  built: true;
  /** Directory holding `pulumi-resource-openstack` (put first on the CLI's PATH: an ambient plugin). */
  pluginDir: string;
  /** `pulumi-resource-openstack -version`. */
  pluginVersion: string;
  /** The npm install of @pulumi/openstack (+ the repository's @pulumi/pulumi) program directories copy. */
  templateDir: string;
  sdkVersion: string;
}

export interface Peers {
  opentofu?: TofuPeer | NotBuilt;
  "pulumi-openstack"?: PulumiOpenStackPeer | NotBuilt;
}

/** The cache root dev/go-build.sh uses. */
export function cacheBase(): string {
  return (
    process.env.PULUMI_IMAGE_MEMBERS_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-image-members")
  );
}

const PEERS_SCRIPT = path.join(REPO_ROOT, "bench", "build-peers.sh");

/** What a failed build said after its last stage line, in one line (at most 400 characters). */
export function failureReason(stderr: string, code: number | null): string {
  const lines = stderr.split("\n").map((l) => l.trimEnd());
  let last = -1;
  lines.forEach((l, i) => {
    if (/^peers: \[\d+s\] /.test(l)) last = i;
  });
  const tail = lines
    .slice(last + 1)
    .map((l) => l.replace(/^peers: /, "").trim())
    .filter(Boolean);
  const text = (tail.length ? tail : lines.filter(Boolean).slice(-3)).join(" / ") || `bench/build-peers.sh exited with ${code}`;
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

/** `bash bench/build-peers.sh bin NAME`: its directory, building it first if needed (the build's stage
 *  lines go to our stderr as they come), or why it could not be built. */
export function peerBin(name: "tofu" | "terraform-provider-openstack" | "pulumi-resource-openstack"): Promise<{ dir: string } | NotBuilt> {
  if (!fs.existsSync(PEERS_SCRIPT))
    return Promise.resolve({ built: false, reason: `${path.relative(REPO_ROOT, PEERS_SCRIPT)} is missing` });
  return new Promise((resolve) => {
    const child = spawn("bash", [PEERS_SCRIPT, "bin", name], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      process.stderr.write(d);
    });
    child.on("error", (e) => resolve({ built: false, reason: `bash ${PEERS_SCRIPT}: ${e.message}` }));
    child.on("close", (code) => {
      const dir = stdout.trim().split("\n").pop() ?? "";
      if (code === 0 && dir && fs.existsSync(dir)) resolve({ dir });
      else resolve({ built: false, reason: failureReason(stderr, code) });
    });
  });
}

function run(file: string, args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^TF_/.test(k)) env[k] = v;
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...env, CHECKPOINT_DISABLE: "1", ...extraEnv } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (e) => resolve({ code: null, out: e.message }));
    child.on("close", (code) => resolve({ code, out }));
  });
}

/** OpenTofu and terraform-provider-openstack (both must be built). */
export async function findOpenTofu(): Promise<TofuPeer | NotBuilt> {
  const bin = await peerBin("tofu");
  if (!("dir" in bin)) return { built: false, reason: `tofu: ${bin.reason}` };
  const mirror = await peerBin("terraform-provider-openstack");
  if (!("dir" in mirror)) return { built: false, reason: `terraform-provider-openstack: ${mirror.reason}` };
  const tofu = path.join(bin.dir, "tofu");
  const tofurc = path.join(path.dirname(mirror.dir), "tofurc");
  if (!fs.existsSync(tofurc)) return { built: false, reason: `no OpenTofu CLI config at ${tofurc} beside the mirror` };
  const v = await run(tofu, ["version"], { TF_CLI_CONFIG_FILE: tofurc });
  const version = v.out.split("\n").find((l) => /^OpenTofu v/.test(l));
  if (v.code !== 0 || !version) return { built: false, reason: `${tofu} version exited with ${v.code}: ${v.out.trim().split("\n")[0]}` };
  return { built: true, tofu, tofurc, mirror: mirror.dir, version, providerVersion: TPO_VERSION };
}

/** The bridged provider and an install of @pulumi/openstack for its programs. */
export async function findPulumiOpenStack(log: (line: string) => void = () => {}): Promise<PulumiOpenStackPeer | NotBuilt> {
  const bin = await peerBin("pulumi-resource-openstack");
  if (!("dir" in bin)) return { built: false, reason: `pulumi-resource-openstack: ${bin.reason}` };
  const v = await run(path.join(bin.dir, "pulumi-resource-openstack"), ["-version"]);
  if (v.code !== 0)
    return { built: false, reason: `pulumi-resource-openstack -version exited with ${v.code}: ${v.out.trim().split("\n")[0]}` };
  let templateDir: string;
  try {
    templateDir = await installPulumiOpenStack(log);
  } catch (e) {
    return {
      built: false,
      reason: `npm install @pulumi/openstack@${PULUMI_OPENSTACK_VERSION}: ${(e as Error).message.split("\n").slice(0, 3).join(" / ")}`,
    };
  }
  return { built: true, pluginDir: bin.dir, pluginVersion: v.out.trim(), templateDir, sdkVersion: PULUMI_OPENSTACK_VERSION };
}

/** `npm install @pulumi/openstack@3.15.2 @pulumi/pulumi@<the repository's>` into the cache, once
 *  per machine (--ignore-scripts: nothing there needs an install script). */
export async function installPulumiOpenStack(log: (line: string) => void = () => {}): Promise<string> {
  const pulumiVersion = repoPulumiVersion();
  const dir = path.join(cacheBase(), "npm", `pulumi-openstack-${PULUMI_OPENSTACK_VERSION}-pulumi-${pulumiVersion}`);
  await onceAcrossProcesses(dir, async () => {
    const t0 = performance.now();
    log(`installing @pulumi/openstack@${PULUMI_OPENSTACK_VERSION} with @pulumi/pulumi@${pulumiVersion} into ${dir} (once per machine)...`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: "pulumi-openstack-peer", private: true }, null, 2)}\n`);
    await npm(
      [
        "install",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        `@pulumi/openstack@${PULUMI_OPENSTACK_VERSION}`,
        `@pulumi/pulumi@${pulumiVersion}`,
      ],
      dir,
    );
    // one @pulumi/pulumi for program, SDK and the harness's language server
    const nested = path.join(dir, "node_modules", "@pulumi", "openstack", "node_modules", "@pulumi", "pulumi");
    if (fs.existsSync(nested)) throw new Error(`@pulumi/openstack got its own @pulumi/pulumi (${nested}): the program would load two`);
    log(`installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
  return dir;
}

/** A fresh program directory (in the system temp dir) with @pulumi/openstack installed: a
 *  hard-linked copy of the cached install. */
export function pulumiOpenStackProgramDir(peer: PulumiOpenStackPeer, label: string): ProgramDir {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pulumi-openstack-${label.replace(/[^A-Za-z0-9._-]/g, "_")}-`));
  copyTree(path.join(peer.templateDir, "node_modules"), path.join(dir, "node_modules"));
  fs.copyFileSync(path.join(peer.templateDir, "package.json"), path.join(dir, "package.json"));
  return {
    dir,
    packageName: "@pulumi/openstack",
    template: {
      dir: peer.templateDir,
      pulumiVersion: repoPulumiVersion(),
      pkg: { name: "@pulumi/openstack", version: peer.sdkVersion, tarball: "", key: "" },
      buildMs: 0,
    },
    createMs: Date.now() - started,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A copy of a clouds.yaml for the peers, beside it (0600): gophercloud (under both peers) refuses an
 * auth block that gives a domain both by name and by id ("You must provide exactly one of DomainID
 * or DomainName to authenticate by Username"), which openstacksdk and this package accept, so each
 * `*_domain_id` that has a `*_domain_name` beside it is left out. Nothing else changes.
 */
export function peersCloudsFile(cloudsFile: string): string {
  const doc = parseYaml(fs.readFileSync(cloudsFile, "utf8")) as { clouds: Record<string, { auth?: Record<string, unknown> }> };
  for (const entry of Object.values(doc.clouds)) {
    const auth = entry.auth ?? {};
    for (const kind of ["user", "project"]) {
      if (auth[`${kind}_domain_name`] !== undefined && auth[`${kind}_domain_id`] !== undefined) delete auth[`${kind}_domain_id`];
    }
  }
  const out = path.join(path.dirname(cloudsFile), "clouds-peers.yaml");
  fs.writeFileSync(out, stringifyYaml(doc), { mode: 0o600 });
  return out;
}

/** The environment that makes the CLI use the bridged plugin: its directory first on PATH. */
export function pulumiOpenStackEnv(peer: PulumiOpenStackPeer, cliBinDir: string): Record<string, string> {
  return { PATH: [peer.pluginDir, cliBinDir, process.env.PATH ?? ""].join(path.delimiter) };
}

/** The plugin processes of a command, by tool: the bridged provider, or the Terraform provider under tofu. */
export function bridgedPlugins(processes: ProcessSample[]): ProcessSample[] {
  return processes.filter((p) => /(^|\/)pulumi-resource-openstack(\s|$)/.test(p.command));
}
export function tofuPlugins(processes: ProcessSample[]): ProcessSample[] {
  return processes.filter((p) => /(^|\/)terraform-provider-openstack_v\S*(\s|$)/.test(p.command));
}

/** Finds (building if needed) the peers of `tools`, one after the other (each build is heavy). */
export async function findPeers(tools: PeerTool[], log: (line: string) => void): Promise<Peers> {
  const peers: Peers = {};
  for (const tool of tools) {
    const t0 = performance.now();
    log(`finding ${tool} (bench/build-peers.sh builds it the first time on a machine: minutes)...`);
    if (tool === "opentofu") peers.opentofu = await findOpenTofu();
    else peers["pulumi-openstack"] = await findPulumiOpenStack(log);
    const p = peers[tool]!;
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    log(
      p.built
        ? `${tool}: ready in ${s} s (${tool === "opentofu" ? (p as TofuPeer).version : `pulumi-resource-openstack ${(p as PulumiOpenStackPeer).pluginVersion}`})`
        : `${tool}: not built: ${p.reason} (${s} s)`,
    );
  }
  return peers;
}
