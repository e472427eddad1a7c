// Every link in the repository's Markdown resolves: a relative link names a file or folder that
// exists, and a `#fragment` names a heading of the file it points at (GitHub's anchor for it). Links
// to the web are not followed. Pure file reading, of the Markdown files git would ship.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");

function markdownFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"], { cwd: ROOT, encoding: "utf8" });
  return out
    .split("\n")
    .filter(Boolean)
    .filter((f) => fs.existsSync(path.join(ROOT, f)));
}

/** The text outside fenced code blocks and code spans: links are not read there. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*]/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, "utf8").replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = anchorOf(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

interface Link {
  file: string;
  target: string;
}

function links(file: string): Link[] {
  const text = prose(fs.readFileSync(path.join(ROOT, file), "utf8"));
  const found: Link[] = [];
  // inline links and images: [text](target "title")
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push({ file, target: m[1] });
  // reference definitions: [label]: target
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) found.push({ file, target: m[1] });
  return found.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));
}

function broken(link: Link): string | undefined {
  const [rel, fragment] = link.target.split("#", 2) as [string, string | undefined];
  const target = rel ? path.resolve(path.dirname(path.join(ROOT, link.file)), decodeURIComponent(rel)) : path.join(ROOT, link.file);
  if (target !== ROOT && !target.startsWith(ROOT + path.sep)) return "points outside the repository";
  if (!fs.existsSync(target)) return "no such file";
  if (fragment !== undefined && target.endsWith(".md") && !anchors(target).has(fragment)) return `no heading #${fragment}`;
  return undefined;
}

describe("the Markdown's links", () => {
  const files = markdownFiles();

  it("the docs README links to are there", () => {
    for (const f of ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs/benchmark.md", "docs/configuration.md"])
      expect(files).toContain(f);
  });

  it("every relative link names a file that exists, and every fragment a heading of it", () => {
    const all = files.flatMap(links);
    expect(all.length).toBeGreaterThan(30);
    const bad = all.map((l) => ({ ...l, why: broken(l) })).filter((l) => l.why);
    expect(bad.map((l) => `${l.file}: (${l.target}) ${l.why}`)).toEqual([]);
  });

  it("reads links the way GitHub renders headings", () => {
    expect(anchorOf("Beside OpenTofu and the bridged `@pulumi/openstack`")).toBe("beside-opentofu-and-the-bridged-pulumiopenstack");
    expect(anchorOf("Upgrading from 0.1.x")).toBe("upgrading-from-01x");
    // a broken link is caught: a file that is not there, and a heading that is not there
    expect(broken({ file: "README.md", target: "docs/nothing-here.md" })).toBe("no such file");
    expect(broken({ file: "README.md", target: "CONTRIBUTING.md#no-such-heading" })).toBe("no heading #no-such-heading");
    expect(broken({ file: "README.md", target: "CONTRIBUTING.md#tests" })).toBeUndefined();
  });
});
