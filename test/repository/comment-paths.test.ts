// Every repository path a comment names exists. Files move (scripts/ became dev/, bench/ and demo/;
// provider/*-provider.ts became *-lifecycle.ts) and a comment still naming the old place sends its
// reader nowhere. Pure file reading: the files git would ship (tracked, or new and not ignored).
//
// A path is a token that starts with `./`, `../` or one of the repository's top-level folders and
// ends in a file extension or a `/`, read in code comments (`//`, `/* */`, `#`) and in Markdown
// code spans, code blocks and link targets. Not paths of this repository, by rule: URLs and
// `@scope/...`, `node_modules/...` or Go import paths (they start elsewhere), patterns and
// templates (`test/**/*.test.ts`, `<name>`, `${dir}`), and whatever .gitignore covers (build output,
// the directories tests create at run time).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const TOP_FOLDERS = ["provider", "sdk", "examples", "test", "dev", "bench", "demo", "docs", ".ci"];

interface Line {
  line: number;
  text: string;
  /** Only paths from the repository root count (Markdown code). */
  rootOnly?: boolean;
}
interface Named {
  line: number;
  path: string;
}

const SLASH_COMMENTS = /\.(?:[cm]?[jt]s|go)$/;
const HASH_COMMENTS = /\.(?:sh|py|ya?ml)$/;

/** The comment text of a source file (one entry per line), or of a Markdown file its code and link targets. */
function commentLines(file: string, src: string): Line[] {
  if (file.endsWith(".md")) return markdownLines(src);
  if (SLASH_COMMENTS.test(file)) return slashComments(src);
  if (HASH_COMMENTS.test(file) || src.startsWith("#!")) return hashComments(src, file.endsWith(".py"));
  return [];
}

/** `//` and `/* *\/` comments of JavaScript, TypeScript and Go, skipping strings, templates and regex literals. */
function slashComments(src: string): Line[] {
  const out: Line[] = [];
  let line = 1;
  let prev = ""; // the last significant character: a `/` after an operand divides, elsewhere it starts a regex
  let word = "";
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i) < 0 ? src.length : src.indexOf("\n", i);
      out.push({ line, text: src.slice(i + 2, end) });
      i = end;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2) < 0 ? src.length : src.indexOf("*/", i + 2);
      for (const text of src.slice(i + 2, end).split("\n")) out.push({ line: line++, text });
      line--;
      i = end + 2;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") j++;
        if (src[j] === "\n") line++;
        j++;
      }
      i = j + 1;
      prev = c;
      word = "";
    } else if (c === "/" && (prev === "" || "(,=:[!&|?{};+-*%<>~^".includes(prev) || /^(?:return|typeof|case|in|of)$/.test(word))) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== "\n" && (inClass || src[j] !== "/")) {
        if (src[j] === "\\") j++;
        else if (src[j] === "[") inClass = true;
        else if (src[j] === "]") inClass = false;
        j++;
      }
      i = j + 1;
      prev = "/";
      word = "";
    } else {
      if (!/\s/.test(c)) {
        word = /\w/.test(c) ? (/\w/.test(prev) ? word : "") + c : "";
        prev = c;
      }
      i++;
    }
  }
  return out;
}

/** `#` comments of shell, Python and YAML (a `#` starting a line or after a blank, outside quotes on
 *  its line), and Python's triple-quoted docstrings. */
function hashComments(src: string, python: boolean): Line[] {
  const out: Line[] = [];
  let docstring: string | undefined;
  src.split("\n").forEach((text, n) => {
    const line = n + 1;
    if (docstring) {
      if (text.includes(docstring)) docstring = undefined;
      out.push({ line, text });
      return;
    }
    const opening = python ? /^\s*[rRuU]?("""|''')/.exec(text) : null;
    if (opening) {
      const rest = text.slice(opening.index + opening[0].length);
      if (!rest.includes(opening[1])) docstring = opening[1];
      out.push({ line, text: rest });
      return;
    }
    let quote = "";
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quote) {
        if (c === "\\" && quote === '"') i++;
        else if (c === quote) quote = "";
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
        out.push({ line, text: text.slice(i + 1) });
        return;
      }
    }
  });
  return out;
}

/** A Markdown file's code blocks, `code` spans and link targets. In code, `./x` and `../x` are
 *  relative to the reader's shell (the clouds.yaml of the current directory, the tarball `npm pack`
 *  just wrote), not to the file: only link targets keep them. */
function markdownLines(src: string): Line[] {
  const out: Line[] = [];
  const code = (line: number, text: string) => out.push({ line, text, rootOnly: true });
  let fence = false;
  src.split("\n").forEach((text, n) => {
    const line = n + 1;
    if (/^\s*(?:```|~~~)/.test(text)) {
      fence = !fence;
      return;
    }
    if (fence) {
      code(line, text);
      return;
    }
    for (const m of text.matchAll(/(`+)(.+?)\1/g)) code(line, m[2]);
    for (const m of text.matchAll(/\]\(([^)\s]+)/g)) out.push({ line, text: m[1].replace(/#.*$/, "") });
  });
  return out;
}

// A run of path characters that starts where no path, URL, scope or variable goes on.
const RUN = /(?<![\w.@/:$~\\-])[\w.@/-]+/g;
const STARTS = new RegExp(`^(?:\\.\\.?/|(?:${TOP_FOLDERS.map((f) => f.replace(".", "\\.")).join("|")})/)`);
/** A file extension on the last segment, or a trailing `/`. */
const ENDS = /(?:\/|\/[^/]*[^/.]\.[A-Za-z][\w-]*)$/;

/** The repository paths named in comment lines. */
function pathsIn(lines: Line[]): Named[] {
  const out: Named[] = [];
  for (const { line, text, rootOnly } of lines) {
    for (const m of text.matchAll(RUN)) {
      const token = m[0].replace(/\.+$/, "");
      const next = text[m.index + m[0].length] ?? "";
      // a pattern or a template (`test/**/*.ts`, `dir/<name>.ts`, `${dir}/x`), not a path
      if ("*{<$[".includes(next) && next !== "") continue;
      if (!STARTS.test(token) || !ENDS.test(token)) continue;
      const relative = /^(?:\.\.?\/)+/.exec(token)?.[0];
      if (relative && (rootOnly || token === relative)) continue;
      out.push({ line, path: token });
    }
  }
  return out;
}

function git(args: string[], input?: string): string {
  return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
}

/** The paths .gitignore covers (`git check-ignore` exits 1 when it covers none). */
function ignoredPaths(paths: string[]): Set<string> {
  if (paths.length === 0) return new Set();
  try {
    return new Set(
      git(["check-ignore", "--no-index", "--stdin"], `${paths.join("\n")}\n`)
        .split("\n")
        .filter(Boolean),
    );
  } catch (e) {
    if ((e as { status?: number }).status === 1) return new Set();
    throw e;
  }
}

/** What git would ship: tracked files and new ones that are not ignored (deleted ones left out). */
function shippedFiles(): string[] {
  return git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
}

describe("the paths comments name", () => {
  it("are read from //, /* */ and # comments, Markdown code and links; not from code, URLs, packages or patterns", () => {
    const ts = [
      "// `./`, `../` and dev/rig/ are not all paths",
      'const a = "dev/in-a-string.ts"; // dev/line-comment.ts',
      "const re = /\\/\\/ not-a-comment/; /* ./block-comment.ts",
      "   on two lines: test/second-line.ts */ const b = x / 2; // ../up-one/file.ts",
      "// https://github.com/o/r/blob/main/provider/url.ts @pulumi/pulumi/cmd/run/run.js node_modules/x/y.js",
      "// github.com/pulumi/pulumi/sdk/v3/go/common/x.go test/**/*.test.ts dev/<name>.ts ${dir}/dev/x.ts",
      "// dev/rig/ dev/rig examples/from-config/README.md. (sdk/http.ts)",
    ].join("\n");
    expect(pathsIn(commentLines("x.ts", ts))).toEqual([
      { line: 1, path: "dev/rig/" },
      { line: 2, path: "dev/line-comment.ts" },
      { line: 3, path: "./block-comment.ts" },
      { line: 4, path: "test/second-line.ts" },
      { line: 4, path: "../up-one/file.ts" },
      { line: 7, path: "dev/rig/" },
      { line: 7, path: "examples/from-config/README.md" },
      { line: 7, path: "sdk/http.ts" },
    ]);
    const sh = ['echo "# dev/in-a-string.sh"  # bench/comment.sh', "x=${#y} # demo/main.ts"].join("\n");
    expect(pathsIn(commentLines("x.sh", sh))).toEqual([
      { line: 1, path: "bench/comment.sh" },
      { line: 2, path: "demo/main.ts" },
    ]);
    const py = ['"""Docstring naming dev/rig/openstack.sh', 'and test/x.py."""', 'print("dev/not.py")'].join("\n");
    expect(pathsIn(commentLines("x.py", py))).toEqual([
      { line: 1, path: "dev/rig/openstack.sh" },
      { line: 2, path: "test/x.py" },
    ]);
    const md = [
      "Prose dev/not-code.ts, `dev/span.ts`, [link](../../Pulumi.yaml#top), the shell's `./clouds.yaml`.",
      "```sh",
      "bash dev/pulumi-cli.sh bin && npm install ../../package-0.1.0.tgz",
      "```",
    ].join("\n");
    expect(pathsIn(commentLines("x.md", md))).toEqual([
      { line: 1, path: "dev/span.ts" },
      { line: 1, path: "../../Pulumi.yaml" },
      { line: 3, path: "dev/pulumi-cli.sh" },
    ]);
  });

  it("exist in the repository, wherever a comment or a Markdown file names them", () => {
    const files = shippedFiles();
    const exists = new Set(files);
    for (const f of files) for (let d = path.posix.dirname(f); d !== "."; d = path.posix.dirname(d)) exists.add(`${d}/`);
    const has = (rel: string) => exists.has(rel) || exists.has(`${rel}/`);

    const missing: { where: string; named: string; resolved: string }[] = [];
    let seen = 0;
    for (const file of files) {
      const lines = commentLines(file, fs.readFileSync(path.join(ROOT, file), "utf8"));
      const dir = path.posix.dirname(file);
      for (const { line, path: named } of pathsIn(lines)) {
        seen++;
        const trail = named.endsWith("/") ? "/" : "";
        const candidates = named.startsWith(".")
          ? [path.posix.join(dir, named)]
          : [path.posix.normalize(named), path.posix.join(dir, named)];
        const resolved = candidates.map((c) => c.replace(/\/$/, "") + trail);
        if (!resolved.some(has)) missing.push({ where: `${file}:${line}`, named, resolved: resolved[0] });
      }
    }
    // what .gitignore covers is made at build or run time, not shipped
    const inside = missing.filter((m) => !m.resolved.startsWith("../"));
    const ignored = ignoredPaths(inside.map((m) => m.resolved));
    const stale = missing.filter((m) => !ignored.has(m.resolved)).map((m) => `${m.where} → ${m.named}`);
    expect(seen).toBeGreaterThan(0);
    expect(stale).toEqual([]);
  });
});
