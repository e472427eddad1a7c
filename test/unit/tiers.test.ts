// Rules of the test suite that keep its tiers honest, read from the files themselves.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const UNIT = path.join(ROOT, "test", "unit");

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === ".work" || e.name === "node_modules" ? [] : walk(p);
    return /\.(c|m)?[jt]s$/.test(e.name) ? [p] : [];
  });
}

/** The module specifiers a file imports or requires (static, dynamic, type-only alike). */
function specifiers(text: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

describe("the unit tier (test/unit) needs no OpenStack, no Pulumi CLI and no root", () => {
  it("its files import only each other, the package's sources and npm packages: never the rig, the CLI harness or the full tier's support", () => {
    const allowed = [UNIT, path.join(ROOT, "sdk"), path.join(ROOT, "provider")].map((d) => d + path.sep);
    const outside = walk(UNIT).flatMap((file) =>
      specifiers(fs.readFileSync(file, "utf8"))
        .filter((s) => s.startsWith("."))
        .map((s) => path.resolve(path.dirname(file), s))
        .filter((target) => !allowed.some((d) => (target + path.sep).startsWith(d)))
        .map((target) => `${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}`),
    );
    expect(outside).toEqual([]);
  });

  it("the check sees every import form", () => {
    // (quotes spliced in, so this file's own scan does not read these as its imports)
    const q = '"';
    const text = `import * as a from ${q}../a${q};\nimport type { B } from ${q}./b${q};\nimport ${q}./c${q};\nconst d = require(${q}../d${q});\nawait import(${q}./e${q});\n`;
    expect(specifiers(text)).toEqual(["../a", "./b", "./c", "../d", "./e"]);
  });
});

describe("the full tier cleans up", () => {
  it("test files create images only through test/support/images.ts, which deletes them", () => {
    const helper = path.join(ROOT, "test", "support", "images.ts");
    const direct = walk(path.join(ROOT, "test"))
      .filter((f) => f !== helper && /\bcreateImage\(/.test(fs.readFileSync(f, "utf8")))
      .map((f) => path.relative(ROOT, f));
    expect(direct).toEqual([]);
  });
});
