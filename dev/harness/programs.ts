// Program directories, "as users get it": the package is packed with `npm pack`, and the tarball is installed with
// `npm install --no-save --prefer-offline`, together with the repo's `@pulumi/pulumi` version, into a
// git-ignored program directory under test/.work/. The harness then loads `@pulumi/pulumi` from that
// directory, so program, package and harness share one SDK copy and the package is a real directory
// under node_modules, as in a user's project.
//
// Cost control: packing and installing happen once per package *content* (a hash of what `npm pack`
// ships), shared by all test files and runs through a file lock; each program directory is then a
// hard-linked copy of the installed template's node_modules (≈0.1 s).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** Git-ignored scratch space of the test suite. */
export const WORK_DIR = path.join(REPO_ROOT, "test", ".work");

export interface PackageSource {
  /** Directory of the package.json to pack. */
  dir: string;
  /** Files (relative to `dir`) that must exist before packing, e.g. the build output. */
  requiredFiles?: string[];
  /** What to tell the user when a required file is missing. */
  missingHint?: string;
}

export interface PackedPackage {
  name: string;
  version: string;
  /** Absolute path of the `.tgz`. */
  tarball: string;
  /** Hash of the shipped files; names the pack and template directories. */
  key: string;
}

export interface ProgramTemplate {
  /** Directory holding package.json and the installed node_modules. */
  dir: string;
  pkg: PackedPackage;
  pulumiVersion: string;
  /** Wall time of `npm pack` + `npm install` when this process built the template, else 0 (reused). */
  buildMs: number;
}

export interface ProgramDir {
  /** The project directory: programs run here and the plugin's cwd is here. */
  dir: string;
  /** The name programs import (`require("<packageName>")`). */
  packageName: string;
  template: ProgramTemplate;
  /** Wall time of creating this directory from the template. */
  createMs: number;
  remove(): void;
}

export interface ProgramDirOptions {
  /** Prefix of the directory name (readability only). */
  label?: string;
  /** Copy this directory's files in (e.g. `examples/producer`); its node_modules is skipped. */
  copyFrom?: string;
  /** Extra files to write, path (relative) → content. */
  files?: Record<string, string>;
  /** Writes a Pulumi.yaml with this project name. */
  project?: string;
  /**
   * Make it under the system's temporary directory instead of test/.work/programs: then nothing the
   * program or the language host requires resolves from this repository's node_modules (under the
   * repository, `@pulumi/pulumi/cmd/run` loads the repository's TypeScript and ts-node for every
   * program, JavaScript too), as in a user's project. For JavaScript programs only.
   */
  outsideRepository?: boolean;
}

/** The project itself (the repo root), which must have been built (`npm test` builds before vitest):
 *  every file its `main` and `exports` point at must exist. */
export function projectPackage(): PackageSource {
  const manifest = readJson(path.join(REPO_ROOT, "package.json"));
  const targets = new Set<string>(manifest.main ? [manifest.main] : []);
  const collect = (v: unknown): void => {
    if (typeof v === "string") {
      if (!v.includes("*")) targets.add(v);
    } else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  collect(manifest.exports);
  return {
    dir: REPO_ROOT,
    requiredFiles: [...targets],
    missingHint: "the build output is missing: run `npm run build` first (`npm test` builds dist/ before vitest starts)",
  };
}

/** The `@pulumi/pulumi` version the repository uses: the one installed at its root. */
export function repoPulumiVersion(): string {
  const req = createRequire(path.join(REPO_ROOT, "package.json"));
  return readJson(req.resolve("@pulumi/pulumi/package.json")).version;
}

const templates = new Map<string, Promise<ProgramTemplate>>();
let programCounter = 0;

/** Packs `source` and installs it with `@pulumi/pulumi` into a template directory, once per content. */
export function installTemplate(source: PackageSource = projectPackage()): Promise<ProgramTemplate> {
  for (const f of source.requiredFiles ?? []) {
    if (!fs.existsSync(path.join(source.dir, f))) {
      return Promise.reject(new Error(`${path.join(source.dir, f)} does not exist: ${source.missingHint ?? "build the package first"}`));
    }
  }
  const manifest = readJson(path.join(source.dir, "package.json"));
  const pulumiVersion = repoPulumiVersion();
  const key = contentKey(source.dir, manifest, pulumiVersion);
  const id = `${String(manifest.name).replace(/[@/]/g, "_")}-${key}`;
  let pending = templates.get(id);
  if (!pending) {
    pending = buildTemplate(source, manifest, id, key, pulumiVersion);
    templates.set(id, pending);
  }
  return pending;
}

async function buildTemplate(
  source: PackageSource,
  manifest: Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  id: string,
  key: string,
  pulumiVersion: string,
): Promise<ProgramTemplate> {
  const dir = path.join(WORK_DIR, "templates", id);
  const packDir = path.join(WORK_DIR, "packs", id);
  const started = Date.now();
  let built = false;
  await onceAcrossProcesses(dir, async () => {
    built = true;
    fs.rmSync(packDir, { recursive: true, force: true });
    fs.mkdirSync(packDir, { recursive: true });
    // --ignore-scripts: the build is `npm test`'s job; packing must not rebuild behind its back.
    const packed = JSON.parse(await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDir, source.dir], packDir));
    const tarball = path.join(packDir, packed[0].filename);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "program-template", private: true }, null, 2));
    await npm(
      [
        "install",
        "--no-save",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        tarball,
        `@pulumi/pulumi@${pulumiVersion}`,
      ],
      dir,
    );
    fs.writeFileSync(path.join(dir, "template.json"), JSON.stringify({ tarball, name: manifest.name, version: manifest.version }, null, 2));
  });
  const info = readJson(path.join(dir, "template.json"));
  pruneStale(path.join(WORK_DIR, "templates"), id);
  pruneStale(path.join(WORK_DIR, "packs"), id);
  return {
    dir,
    pulumiVersion,
    pkg: { name: info.name, version: info.version, tarball: info.tarball, key },
    buildMs: built ? Date.now() - started : 0,
  };
}

/** A fresh program directory with the package (and `@pulumi/pulumi`) installed, under test/.work/programs
 *  (or the system's temporary directory: `outsideRepository`). */
export async function createProgramDir(source: PackageSource = projectPackage(), opts: ProgramDirOptions = {}): Promise<ProgramDir> {
  const template = await installTemplate(source);
  const started = Date.now();
  const root = opts.outsideRepository ? path.join(os.tmpdir(), "pulumi-image-members-programs") : path.join(WORK_DIR, "programs");
  fs.mkdirSync(root, { recursive: true });
  removeOrphanedProgramDirs(root);
  const label = (opts.label ?? template.pkg.name).replace(/[^A-Za-z0-9._-]/g, "_");
  const dir = path.join(root, `${label}-${process.pid}-${++programCounter}`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (opts.copyFrom) {
    fs.cpSync(opts.copyFrom, dir, { recursive: true, filter: (src) => path.basename(src) !== "node_modules" });
  }
  fs.mkdirSync(dir, { recursive: true });
  copyTree(path.join(template.dir, "node_modules"), path.join(dir, "node_modules"));
  const manifestPath = path.join(dir, "package.json");
  if (!fs.existsSync(manifestPath)) {
    fs.writeFileSync(
      manifestPath,
      JSON.stringify(
        {
          name: label.toLowerCase(),
          private: true,
          dependencies: { [template.pkg.name]: `file:${template.pkg.tarball}`, "@pulumi/pulumi": template.pulumiVersion },
        },
        null,
        2,
      ),
    );
  }
  if (opts.project) fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${opts.project}\nruntime: nodejs\n`);
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return {
    dir,
    packageName: template.pkg.name,
    template,
    createMs: Date.now() - started,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

// --- helpers -------------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Hash of what `npm pack` would ship (package.json, its `files`, README/LICENSE) and the SDK version. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function contentKey(dir: string, manifest: Record<string, any>, pulumiVersion: string): string {
  const hash = createHash("sha256").update(`pulumi@${pulumiVersion}\n`);
  const entries: string[] = Array.isArray(manifest.files) ? manifest.files : ["."];
  const top = fs.readdirSync(dir).filter((f) => /^(readme|license|licence)/i.test(f));
  const add = (rel: string) => {
    const abs = path.join(dir, rel);
    if (!fs.existsSync(abs)) return;
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      for (const child of fs.readdirSync(abs).sort()) {
        if (child !== "node_modules" && child !== ".git") add(path.join(rel, child));
      }
    } else {
      hash.update(`${rel}\n`).update(fs.readFileSync(abs)).update("\n");
    }
  };
  for (const rel of ["package.json", ...top, ...entries]) add(rel);
  return hash.digest("hex").slice(0, 16);
}

/** The environment of a user's shell, not of the `npm test` that started us (npm's lifecycle
 *  variables would point a nested npm at the repository). */
export function userShellEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|command$|config_local_prefix$|config_prefix$)/i.test(k) || k === "INIT_CWD") delete env[k];
  }
  delete env.NODE_OPTIONS;
  return env;
}

/** Runs `npm` in `cwd` with a user's shell environment; rejects with its output when it fails. */
export function npm(args: string[], cwd: string): Promise<string> {
  const env = userShellEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(process.platform === "win32" ? "npm.cmd" : "npm", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`npm ${args.join(" ")} (in ${cwd}) exited with ${code}:\n${err || out}`)),
    );
  });
}

/** Builds `dir` exactly once across concurrent processes (vitest workers, parallel runs). A lock
 *  directory names its owner's pid; a dead owner's lock is taken over. `dir/.ready` marks success. */
export async function onceAcrossProcesses(dir: string, build: () => Promise<void>): Promise<void> {
  const ready = path.join(dir, ".ready");
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  for (;;) {
    if (fs.existsSync(ready)) {
      touch(ready);
      return;
    }
    try {
      fs.mkdirSync(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number(readOr(path.join(lock, "pid"), "0"));
      if (owner && !isAlive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (held by pid ${owner})`);
      else await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
      fs.rmSync(dir, { recursive: true, force: true });
      await build();
      fs.writeFileSync(ready, new Date().toISOString());
      return;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Removes sibling builds of the same package that nobody used for an hour (each is ≈85 MB). */
export function pruneStale(root: string, keep: string): void {
  const prefix = keep.slice(0, keep.lastIndexOf("-") + 1);
  for (const entry of safeReaddir(root)) {
    if (entry === keep || !entry.startsWith(prefix) || entry.endsWith(".lock")) continue;
    const marker = path.join(root, entry, ".ready");
    const lastUse = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : fs.statSync(path.join(root, entry)).mtimeMs;
    if (Date.now() - lastUse > 3_600_000 && !fs.existsSync(path.join(root, `${entry}.lock`))) {
      fs.rmSync(path.join(root, entry), { recursive: true, force: true });
    }
  }
}

/** Program directories are named `<label>-<pid>-<n>`; those of processes that are gone are removed. */
function removeOrphanedProgramDirs(root: string): void {
  for (const entry of safeReaddir(root)) {
    const pid = Number(/-(\d+)-\d+$/.exec(entry)?.[1]);
    if (pid && pid !== process.pid && !isAlive(pid)) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
}

/** Hard-linked copy (fast, and real directories: Node resolves the same paths a real install has). */
export function copyTree(from: string, to: string): void {
  if (process.platform !== "win32" && spawnSync("cp", ["-al", from, to]).status === 0) return;
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function touch(file: string): void {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
  } catch {
    // another process may be pruning; the marker is only a usage hint
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
