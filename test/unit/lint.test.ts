// The lint rule that keeps every ImageMembersError in one module (dev/lint/errors-module-only.grit,
// applied by biome.json to sdk/ and provider/ but sdk/errors.ts): run by `npm run lint` in .ci/run, and
// here on planted files, so a rule that stopped matching would be noticed.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const BIOME = path.join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "biome.cmd" : "biome");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-rule-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Lints `files` (path → text) in a copy of the repository's lint configuration; the diagnostics. */
function lint(files: Record<string, string>): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "dev", "lint"), { recursive: true });
  fs.copyFileSync(path.join(ROOT, "biome.json"), path.join(dir, "biome.json"));
  for (const f of fs.readdirSync(path.join(ROOT, "dev", "lint")))
    fs.copyFileSync(path.join(ROOT, "dev", "lint", f), path.join(dir, "dev", "lint", f));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  try {
    return execFileSync(BIOME, ["lint", "--vcs-enabled=false", "--colors=off", "--max-diagnostics=50", "."], {
      cwd: dir,
      encoding: "utf8",
      stdio: "pipe",
    });
  } catch (e) {
    const { stdout, stderr } = e as { stdout: string; stderr: string };
    return `${stdout}${stderr}`;
  }
}

// (the imports are put together so that test/unit/tiers.test.ts does not take them for this file's)
const importing = (what: string, from: string) => `import ${what} from ${JSON.stringify(from)};\n`;
const construct = `${importing("{ ImageMembersError }", "./errors")}export const e = new ImageMembersError("ERR_HTTP", "x");\n`;
const qualified = `${importing("* as errors", "../sdk/errors")}export const e = new errors.ImageMembersError("ERR_HTTP", "x");\n`;

describe("only sdk/errors.ts constructs ImageMembersError", () => {
  it("a construction anywhere else is a lint error naming the rule's fix", () => {
    const out = lint({ "provider/probe.ts": qualified, "sdk/probe.ts": construct, "sdk/errors.ts": construct });
    expect(out).toContain("provider/probe.ts:2:18 plugin");
    expect(out).toContain("sdk/probe.ts:2:18 plugin");
    expect(out).toContain("Only sdk/errors.ts constructs ImageMembersError: add or call a function there instead.");
    expect(out).not.toContain("sdk/errors.ts:");
  });

  it("the repository's own code passes it", () => {
    const sources = ["sdk", "provider", path.join("provider", "dynamic")].flatMap((d) =>
      fs
        .readdirSync(path.join(ROOT, d))
        .filter((f) => f.endsWith(".ts"))
        .map((f) => path.join(d, f)),
    );
    const out = lint(Object.fromEntries(sources.map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8")])));
    expect(out).not.toContain(" plugin ");
  });
});
