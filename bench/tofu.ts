// OpenTofu working directories for the benchmark and the drift table: a root module written here,
// a data dir and a local state inside a temporary directory, terraform-provider-openstack installed
// by `tofu init` from the filesystem mirror bench/build-peers.sh built (no registry is asked: the CLI
// config has no `direct` block), and every command run as the leader of its own process group.
//
//   const t = TofuDir.create(peer, "bench", { OS_CLIENT_CONFIG_FILE: cloudsFile });
//   t.write(tofuConfig({ providers: [{ cloud: "producer" }], body }));
//   await t.init();
//   const r = await t.run(["apply", "-auto-approve", "-parallelism=10"]);
//   t.remove();
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { constants as osConstants } from "node:os";
import * as path from "node:path";
import { type ProcessSample, ProcessWatcher } from "../dev/harness/processes";
import { type TofuPeer, TPO_VERSION } from "./peers";

export interface TofuRun {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** It was killed at its time limit (TofuRunOptions.timeoutMs). */
  timedOut: boolean;
  /** Every process the command started (tofu's provider plugins among them). */
  processes: ProcessSample[];
}

export interface TofuRunOptions {
  /** Kill the process group after this long (default 10 min). */
  timeoutMs?: number;
  onStart?: (child: ChildProcess) => void;
}

export class TofuDir {
  private constructor(
    readonly peer: TofuPeer,
    /** The root module's directory (state in terraform.tfstate there). */
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** A fresh temporary directory; `env` is added to every command's environment (e.g. OS_CLIENT_CONFIG_FILE). */
  static create(peer: TofuPeer, label: string, env: Record<string, string> = {}): TofuDir {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tofu-${label.replace(/[^A-Za-z0-9._-]/g, "_")}-`));
    const base: Record<string, string> = {};
    // nothing of the caller's OpenTofu/Terraform or OpenStack settings leaks in
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(TF_|OS_)/.test(k)) base[k] = v;
    Object.assign(base, {
      TF_CLI_CONFIG_FILE: peer.tofurc,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      TF_DATA_DIR: path.join(dir, ".tofu-data"),
      CHECKPOINT_DISABLE: "1",
      no_proxy: "127.0.0.1,localhost",
      NO_PROXY: "127.0.0.1,localhost",
      ...env,
    });
    return new TofuDir(peer, dir, base);
  }

  /** Writes main.tf. */
  write(mainTf: string): void {
    fs.writeFileSync(path.join(this.dir, "main.tf"), mainTf);
  }

  /** `tofu init`: installs the provider from the mirror; throws with its output when it fails. */
  async init(): Promise<TofuRun> {
    const r = await this.run(["init", "-input=false"]);
    if (r.code !== 0) throw new Error(`tofu init exited with ${r.code}: ${lastLines(r.stderr || r.stdout, 12)}`);
    return r;
  }

  /** Runs `tofu ARGS -no-color` in the directory. */
  run(args: string[], opts: TofuRunOptions = {}): Promise<TofuRun> {
    const full = [...args, "-no-color"];
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(this.peer.tofu, full, { cwd: this.dir, env: this.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      const watcher = child.pid ? new ProcessWatcher(child.pid) : undefined;
      opts.onStart?.(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stderr += `\n[tofu.ts] timed out after ${(opts.timeoutMs ?? 600_000) / 1000} s: killing the process group\n`;
        if (child.pid) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // gone
          }
        }
      }, opts.timeoutMs ?? 600_000);
      child.on("error", (e) => {
        clearTimeout(timer);
        watcher?.stop();
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        watcher?.sample();
        watcher?.stop();
        resolve({
          args: full,
          code: code ?? 128 + (signal ? osConstants.signals[signal] : 0),
          stdout,
          stderr,
          ms: performance.now() - t0,
          timedOut,
          processes: watcher?.processes() ?? [],
        });
      });
    });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/** An HCL string literal (ids and URLs: nothing HCL would interpolate). */
export const hcl = (s: string): string => {
  if (/[$%]\{/.test(s)) throw new Error(`not an HCL literal: ${s}`);
  return JSON.stringify(s);
};

export interface TofuProvider {
  /** The provider block's alias; none = the default configuration. */
  alias?: string;
  /** The clouds.yaml entry (OS_CLIENT_CONFIG_FILE names the file). */
  cloud: string;
  /** Glance override, e.g. the counting proxy: `endpoint_overrides = { image = "<url>/v2/" }`. */
  imageUrl?: string;
}

/** A root module: terraform-provider-openstack pinned, its provider configurations, and `body`. */
export function tofuConfig(providers: TofuProvider[], body: string): string {
  const blocks = providers.map((p) =>
    [
      `provider "openstack" {`,
      ...(p.alias ? [`  alias = ${hcl(p.alias)}`] : []),
      `  cloud = ${hcl(p.cloud)}`,
      // gophercloud takes an overridden endpoint as the resource base: it must end in /v2/
      ...(p.imageUrl ? [`  endpoint_overrides = { image = ${hcl(`${p.imageUrl.replace(/\/+$/, "")}/v2/`)} }`] : []),
      `}`,
    ].join("\n"),
  );
  return [
    `terraform {`,
    `  required_providers {`,
    `    openstack = {`,
    `      source  = "terraform-provider-openstack/openstack"`,
    `      version = ${hcl(TPO_VERSION)}`,
    `    }`,
    `  }`,
    `}`,
    ...blocks,
    body,
    "",
  ].join("\n");
}
