import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../dev/harness/programs";

/**
 * dev/pulumi-cli.sh with no `pulumi` on PATH: it builds the CLI from Go modules into its cache,
 * once, even when two runs ask at the same time, and `npm run pulumi` runs what it built. The
 * build runs into a fresh cache directory here, so a CLI installed by hand or cached earlier cannot
 * hide a broken build (Go's module and build caches make it take seconds once the machine has built
 * it before).
 */
const cache = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-cli-cache-"));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

/** PATH without any directory that holds a `pulumi`. */
const pathWithoutPulumi = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((d) => d && !fs.existsSync(path.join(d, "pulumi")))
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
    expect(path.basename(path.dirname(bin))).toMatch(/^v3\.274\.1-nolanghost-go\d+\.\d+/);
    for (const f of ["pulumi", "pulumi-resource-pulumi-nodejs"]) expect(fs.statSync(path.join(bin, f)).mode & 0o111).not.toBe(0);
    // exactly one of them built; the other waited for it
    const logs = [a.stderr, b.stderr];
    expect(logs.filter((l) => l.includes("building v3.274.1 from Go modules"))).toHaveLength(1);
    expect(logs.filter((l) => l.includes("another run is building the CLI; waiting for it"))).toHaveLength(1);
    const builder = logs.find((l) => l.includes("building v3.274.1"))!;
    expect(builder).toMatch(/\[\d+s\] resolving github\.com\/pulumi\/pulumi\/pkg\/v3@v3\.274\.1/);
    expect(builder).toMatch(/\[\d+s\] compiling pulumi v3\.274\.1/);
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
    expect(version.stdout.trim()).toBe("v3.274.1");
  });

  it("takes a new enough pulumi from PATH instead", async () => {
    const bin = (await run(["bin"])).stdout.trim();
    const r = await run(["bin"], { PATH: `${bin}${path.delimiter}${pathWithoutPulumi}`, PULUMI_IMAGE_MEMBERS_CACHE: path.join(cache, "unused") });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(bin);
    expect(fs.existsSync(path.join(cache, "unused"))).toBe(false);
  });
});
