// The published declarations as users' projects compile them: the packed tarball (`npm pack`, as
// users get it) installed beside `@pulumi/pulumi` and a TypeScript, and `tsc --noEmit` on a small
// program that imports both entry points, in the three kinds of project users compile it in:
//
// - commonjs: the shape `pulumi new typescript` makes (TypeScript 5, `module: commonjs`,
//   `moduleResolution: node`, no `esModuleInterop`, `skipLibCheck` off): `exports` is not read
//   there, so `pulumi-image-members/sdk` resolves only through `typesVersions`, and a declaration
//   naming a type of got would pull in got's own declarations, which fail there (TS1192);
// - nodenext: `module`/`moduleResolution: nodenext` on TypeScript 6 (the repository's);
// - esm: a `"type": "module"` program (nodenext, TypeScript 5, top-level await).
//
// Each project has a control beside it: the same toolchain, tsconfig and `@pulumi/pulumi` without
// our package, so a failure of the project is ours and a failure of the control is the toolchain's.
//
// Cost control: the tarball is dev/harness/programs.ts's (packed once per package content); each
// toolchain is installed once per tarball content and toolchain versions under
// test/.work/types-<key>/ (`npm install --prefer-offline`). The projects themselves are hard-linked
// copies in a temporary directory outside the repository: from inside it, module lookups would
// climb to the repository's own node_modules (its self-link `pulumi-image-members` -> the sources,
// and got) and hide what a user's project sees. Every file tsc loads is checked to lie inside its
// project for the same reason.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  copyTree,
  installTemplate,
  npm,
  onceAcrossProcesses,
  projectPackage,
  pruneStale,
  REPO_ROOT,
  repoPulumiVersion,
  userShellEnv,
  WORK_DIR,
} from "../../dev/harness/programs";
import { consumerProgram, nodenextTsconfig, pulumiTemplateTsconfig } from "../unit/support/consumer";

const PACKAGE = "pulumi-image-members";

/** Versions the repository itself installed (package-lock). */
function repoVersion(pkg: string): string {
  const req = createRequire(path.join(REPO_ROOT, "package.json"));
  return JSON.parse(fs.readFileSync(req.resolve(`${pkg}/package.json`), "utf8")).version;
}

type ToolchainName = "ts5" | "ts6";

/** What each toolchain installs beside the tarball (npm specs). */
const TOOLCHAINS: Record<ToolchainName, string[]> = {
  // `pulumi new typescript` asks for "typescript": "^5.0.0": the newest 5.x npm serves
  ts5: ["typescript@5"],
  ts6: [`typescript@${repoVersion("typescript")}`],
};
const COMMON_SPECS = [`@pulumi/pulumi@${repoPulumiVersion()}`, `@types/node@${repoVersion("@types/node")}`];

interface TypeProject {
  name: string;
  toolchain: ToolchainName;
  /** package.json fields besides name and dependencies. */
  manifest: Record<string, unknown>;
  tsconfig: Record<string, unknown>;
  esm: boolean;
}

const PROJECTS: TypeProject[] = [
  {
    name: "commonjs",
    toolchain: "ts5",
    manifest: { main: "index.ts" },
    tsconfig: pulumiTemplateTsconfig,
    esm: false,
  },
  {
    name: "nodenext",
    toolchain: "ts6",
    manifest: { main: "index.ts" },
    tsconfig: nodenextTsconfig,
    esm: false,
  },
  {
    name: "esm",
    toolchain: "ts5",
    manifest: { type: "module", main: "index.ts" },
    tsconfig: nodenextTsconfig,
    esm: true,
  },
];

/** The control: what the toolchain compiles without our package. */
function controlProgram(esm: boolean): string {
  return `import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
export const name = config.get("name") ?? pulumi.getStack();
export const out = pulumi.output(Promise.resolve(1)).apply((n) => n + 1);
${esm ? "export const later = await Promise.resolve(pulumi.getProject());\n" : ""}`;
}

interface Tsc {
  exitCode: number | null;
  /** Diagnostics, one per line (continuation lines joined). */
  errors: string[];
  /** Absolute paths of every file in the program (`--listFiles`). */
  files: string[];
  ms: number;
}

describe("the published types compile in users' projects (packed tarball)", () => {
  let root: string;
  const toolchainDirs = new Map<ToolchainName, string>();
  const results = new Map<string, Promise<Tsc>>();

  beforeAll(async () => {
    const template = await installTemplate(projectPackage());
    const tarball = template.pkg.tarball;
    if (!fs.existsSync(tarball)) {
      throw new Error(`${tarball} is gone while ${template.dir} still names it: remove ${template.dir} and run again`);
    }
    for (const [name, dir] of await Promise.all(
      (Object.keys(TOOLCHAINS) as ToolchainName[]).map(
        async (name) => [name, await ensureToolchain(name, tarball, template.pkg.key)] as const,
      ),
    )) {
      toolchainDirs.set(name, dir);
    }
    root = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "pim-types-"));
    const limit = limiter(Math.max(1, Math.min(2, os.availableParallelism())));
    for (const p of PROJECTS) {
      const from = toolchainDirs.get(p.toolchain)!;
      const deps = { "@pulumi/pulumi": `^${repoPulumiVersion()}`, [PACKAGE]: `file:${tarball}` };
      const devDeps = { "@types/node": `^${repoVersion("@types/node")}`, typescript: `^${installedVersion(from, "typescript")}` };
      const project = writeProject(
        path.join(root, p.name),
        from,
        { name: `types-${p.name}`, ...p.manifest, dependencies: deps, devDependencies: devDeps },
        p.tsconfig,
        consumerProgram(p.esm),
      );
      const control = writeProject(
        path.join(root, `${p.name}-control`),
        from,
        {
          name: `types-${p.name}-control`,
          ...p.manifest,
          dependencies: { "@pulumi/pulumi": deps["@pulumi/pulumi"] },
          devDependencies: devDeps,
        },
        p.tsconfig,
        controlProgram(p.esm),
      );
      fs.rmSync(path.join(control, "node_modules", PACKAGE), { recursive: true, force: true });
      results.set(
        `${p.name}-control`,
        limit(() => tsc(control)),
      );
      results.set(
        p.name,
        limit(() => tsc(project)),
      );
    }
    // settle the rejections a failed test would otherwise leave unobserved
    for (const r of results.values()) r.catch(() => undefined);
  }, 600_000);

  afterAll(async () => {
    await Promise.allSettled(results.values());
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("no declaration in the tarball names a type of got or an internal knob", () => {
    const installed = path.join(toolchainDirs.get("ts5")!, "node_modules", PACKAGE);
    const declarations = walk(installed).filter((f) => f.endsWith(".d.ts"));
    expect(declarations.map((f) => path.relative(installed, f))).toEqual(
      expect.arrayContaining(["dist/provider/index.d.ts", "dist/sdk/index.d.ts"]),
    );
    const got = /(?:from\s*|import\s*\(\s*|require\s*\(\s*|<reference\s+types\s*=\s*)["']got(?:\/[^"']*)?["']/;
    // the knobs of the SDK for the provider and the tests (sdk/image-service.ts, marked @internal)
    const knobs = /\b(?:OpenOptions|forgetTokens)\b/;
    const offending = declarations.flatMap((f) => {
      const text = fs.readFileSync(f, "utf8");
      return [
        ...(got.test(text) ? [`${path.relative(installed, f)}: imports got`] : []),
        ...(knobs.test(text) ? [`${path.relative(installed, f)}: declares a test knob`] : []),
      ];
    });
    expect(offending).toEqual([]);
  });

  for (const p of PROJECTS) {
    const label = `${p.name} (${p.toolchain}, ${describeOptions(p.tsconfig)}${p.esm ? ', "type": "module"' : ""})`;

    it(`${label}: the control without the package compiles`, async () => {
      const r = await results.get(`${p.name}-control`)!;
      expect(r.errors, `the toolchain itself fails here, without ${PACKAGE}`).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.files.filter((f) => f.includes(`/node_modules/${PACKAGE}/`))).toEqual([]);
      expect(outside(r, `${p.name}-control`)).toEqual([]);
    });

    it(`${label}: a program importing both entry points compiles`, async () => {
      const r = await results.get(p.name)!;
      const control = await results.get(`${p.name}-control`)!;
      const context =
        control.exitCode === 0 ? "its control compiles, so this is the package's fault" : "its control fails too: see that test";
      expect(r.errors, context).toEqual([]);
      expect(r.exitCode).toBe(0);
      const ours = r.files
        .filter((f) => f.includes(`/node_modules/${PACKAGE}/`))
        .map((f) => f.slice(f.indexOf(`/node_modules/${PACKAGE}/`) + `/node_modules/${PACKAGE}/`.length));
      // both entry points were reached through their published declarations
      expect(ours).toEqual(expect.arrayContaining(["dist/provider/index.d.ts", "dist/sdk/index.d.ts"]));
      expect(
        r.files.filter((f) => f.includes("/node_modules/got/")),
        "got's declarations are part of the program",
      ).toEqual([]);
      expect(outside(r, p.name)).toEqual([]);
    });
  }

  /** Files tsc loaded from outside the project directory (module lookups that climbed out). */
  function outside(r: Tsc, project: string): string[] {
    const dir = path.join(root, project) + path.sep;
    return r.files.filter((f) => !f.startsWith(dir));
  }
});

function describeOptions(tsconfig: Record<string, unknown>): string {
  const o = tsconfig.compilerOptions as Record<string, unknown>;
  return `module ${o.module}, moduleResolution ${o.moduleResolution}`;
}

/** test/.work/types-<tarball key>/<toolchain>-<versions hash>: the tarball and the toolchain, installed once. */
async function ensureToolchain(name: ToolchainName, tarball: string, key: string): Promise<string> {
  const specs = [...COMMON_SPECS, ...TOOLCHAINS[name]];
  const parent = path.join(WORK_DIR, `types-${key}`);
  const dir = path.join(parent, `${name}-${createHash("sha256").update(specs.join("\n")).digest("hex").slice(0, 12)}`);
  // toolchains of other package contents that nobody used for an hour go (≈110 MB each)
  pruneStale(WORK_DIR, `types-${key}`);
  await onceAcrossProcesses(dir, async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `types-toolchain-${name}`, private: true }, null, 2));
    await npm(["install", "--no-save", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...specs], dir);
  });
  return dir;
}

function writeProject(
  dir: string,
  toolchain: string,
  manifest: Record<string, unknown>,
  tsconfig: Record<string, unknown>,
  source: string,
): string {
  fs.mkdirSync(dir, { recursive: true });
  // hard links: fast, and real directories at the paths a real install has
  copyTree(path.join(toolchain, "node_modules"), path.join(dir, "node_modules"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  fs.writeFileSync(path.join(dir, "index.ts"), source);
  return dir;
}

async function tsc(dir: string): Promise<Tsc> {
  const started = Date.now();
  const bin = path.join(dir, "node_modules", "typescript", "bin", "tsc");
  const r = await run(process.execPath, [bin, "-p", dir, "--noEmit", "--pretty", "false", "--listFiles"], dir);
  const files: string[] = [];
  const errors: string[] = [];
  for (const line of r.stdout.split("\n")) {
    if (!line.trim()) continue;
    if (path.isAbsolute(line) && !/\(\d+,\d+\): /.test(line) && fs.existsSync(line)) files.push(line);
    else if (/^\s/.test(line) && errors.length > 0) errors[errors.length - 1] += ` ${line.trim()}`;
    else errors.push(line);
  }
  if (r.stderr.trim()) errors.push(...r.stderr.trim().split("\n"));
  return { exitCode: r.code, errors, files, ms: Date.now() - started };
}

function installedVersion(toolchain: string, pkg: string): string {
  return JSON.parse(fs.readFileSync(path.join(toolchain, "node_modules", pkg, "package.json"), "utf8")).version;
}

/** Runs a command with a user's shell environment; its exit code is the caller's to judge. */
function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: userShellEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** At most `n` of the returned function's tasks at once (tsc takes ≈2 s and 450 MB each). */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        active++;
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            queue.shift()?.();
          });
      };
      if (active < n) start();
      else queue.push(start);
    });
}

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
