import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../dev/harness/programs";

/**
 * dev/pulumi-cli.sh with no `pulumi` on PATH: it builds the CLI and the Node.js language host from Go
 * modules into its cache, once, even when two runs ask at the same time, and `npm run pulumi` runs
 * what it built. The build runs into a fresh cache directory here, so a CLI installed by hand or cached earlier cannot
 * hide a broken build (Go's module and build caches make it take seconds once the machine has built
 * it before).
 */
/** The CLI version the script builds: its CLI_VERSION line, the one place it is written. */
const CLI = /^CLI_VERSION=(v\S+)/m.exec(fs.readFileSync(path.join(REPO_ROOT, "dev", "pulumi-cli.sh"), "utf8"))![1];
const CLI_RE = CLI.replaceAll(".", "\\.");
const cache = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-cli-cache-"));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

/** PATH without any directory that holds a `pulumi` or a `pulumi-language-nodejs`. */
const pathWithoutPulumi = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((d) => d && !fs.existsSync(path.join(d, "pulumi")) && !fs.existsSync(path.join(d, "pulumi-language-nodejs")))
  .join(path.delimiter);

function run(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO_ROOT, "dev", "pulumi-cli.sh"), ...args], {
      env: { ...process.env, PATH: pathWithoutPulumi, PULUMI_IMAGE_MEMBERS_CACHE: cache, PULUMI_SKIP_UPDATE_CHECK: "true", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe("the Pulumi CLI build", () => {
  it("builds once into the cache when two runs ask at once, printing each stage with its elapsed time", async () => {
    const [a, b] = await Promise.all([run(["bin"]), run(["bin"])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stdout.trim()).toBe(b.stdout.trim());
    const bin = a.stdout.trim();
    expect(bin.startsWith(path.join(cache, "pulumi-cli") + path.sep)).toBe(true);
    expect(path.basename(path.dirname(bin))).toMatch(new RegExp(`^${CLI_RE}-langhost-v3\\.68\\.0-go\\d+\\.\\d+`));
    for (const f of ["pulumi", "pulumi-resource-pulumi-nodejs", "pulumi-language-nodejs"])
      expect(fs.statSync(path.join(bin, f)).mode & 0o111).not.toBe(0);
    // exactly one of them built; the other waited for it
    const logs = [a.stderr, b.stderr];
    const building = `building pulumi ${CLI} and pulumi-language-nodejs v3.68.0 from Go modules`;
    expect(logs.filter((l) => l.includes(building))).toHaveLength(1);
    expect(logs.filter((l) => l.includes("another run is building the CLI; waiting for it"))).toHaveLength(1);
    const builder = logs.find((l) => l.includes(building))!;
    expect(builder).toMatch(new RegExp(`\\[\\d+s\\] resolving github\\.com/pulumi/pulumi/pkg/v3@${CLI_RE}`));
    expect(builder).toMatch(new RegExp(`\\[\\d+s\\] compiling pulumi ${CLI_RE}`));
    expect(builder).toMatch(/\[\d+s\] resolving github\.com\/pulumi\/pulumi\/sdk\/v3@v3\.68\.0 \(pulumi-language-nodejs\)/);
    expect(builder).toMatch(/\[\d+s\] compiling pulumi-language-nodejs v3\.68\.0/);
    expect(builder).toMatch(/\[\d+s\] built /);
    // no half-built directory is left behind
    expect(fs.readdirSync(path.join(cache, "pulumi-cli")).filter((e) => e.startsWith(".build"))).toEqual([]);
  }, 900_000);

  it("reuses the cache afterwards, and runs the CLI it built, which reports its version", async () => {
    const again = await run(["bin"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe("");
    const version = await run(["run", "--", "version"]);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(CLI);
  });

  it("built a language host that serves the language-runtime protocol and reports v3.68.0", async () => {
    const bin = (await run(["bin"])).stdout.trim();
    // without an engine address (the CLI passes its own; with none the host watches no engine's health)
    const host = spawn(path.join(bin, "pulumi-language-nodejs"), [], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      // a plugin's first line on stdout is the port it serves on
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        host.stdout.on("data", (d) => {
          out += d;
          const m = /^(\d+)\n/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        host.on("close", (code) => reject(new Error(`pulumi-language-nodejs exited with ${code} before serving: ${out}`)));
      });
      const req = createRequire(path.join(REPO_ROOT, "package.json"));
      const grpc = req("@grpc/grpc-js");
      const { LanguageRuntimeClient } = req("@pulumi/pulumi/proto/language_grpc_pb");
      const { Empty } = req("google-protobuf/google/protobuf/empty_pb");
      const client = new LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      try {
        const info = await new Promise<{ getVersion(): string }>((resolve, reject) =>
          client.getPluginInfo(new Empty(), (err: Error | null, r: { getVersion(): string }) => (err ? reject(err) : resolve(r))),
        );
        expect(info.getVersion()).toBe("v3.68.0");
      } finally {
        client.close();
      }
    } finally {
      if (host.exitCode === null && host.pid) process.kill(host.pid, "SIGTERM");
    }
  });

  it("takes a new enough pulumi from PATH instead", async () => {
    const bin = (await run(["bin"])).stdout.trim();
    const r = await run(["bin"], {
      PATH: `${bin}${path.delimiter}${pathWithoutPulumi}`,
      PULUMI_IMAGE_MEMBERS_CACHE: path.join(cache, "unused"),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(bin);
    expect(fs.existsSync(path.join(cache, "unused"))).toBe(false);
  });

  it("does not take PATH's pulumi when no pulumi-language-nodejs is beside it or on PATH: it uses the one it built", async () => {
    const bin = (await run(["bin"])).stdout.trim();
    const lone = fs.mkdtempSync(path.join(cache, "lone-"));
    // hard links: the script resolves symlinks to find what sits beside `pulumi`
    for (const f of ["pulumi", "pulumi-resource-pulumi-nodejs"]) fs.linkSync(path.join(bin, f), path.join(lone, f));
    const r = await run(["bin"], { PATH: `${lone}${path.delimiter}${pathWithoutPulumi}` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(bin);
  });
});
