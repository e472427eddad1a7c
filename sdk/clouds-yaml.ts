import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, YAMLParseError } from "yaml";
import { configError } from "./errors";

/**
 * One `clouds.<name>` entry, after `secure.yaml` has been merged over it. Which keys are read, and
 * as what, is sdk/setting-sources.ts's table.
 */
export type CloudsEntry = Readonly<Record<string, unknown>>;

export interface LoadedCloud {
  name: string;
  file: string;
  entry: CloudsEntry;
}

// openstacksdk's search order (openstack/config/loader.py): the explicit file first, then the
// working directory, the user's config, the system's.
function searchPath(env: NodeJS.ProcessEnv, base: "clouds" | "secure"): string[] {
  const explicit = base === "clouds" ? env.OS_CLIENT_CONFIG_FILE : env.OS_CLIENT_SECURE_FILE;
  const names = [`${base}.yaml`, `${base}.yml`];
  const dirs = [process.cwd(), path.join(os.homedir(), ".config", "openstack"), "/etc/openstack"];
  return [...(explicit ? [explicit] : []), ...dirs.flatMap((d) => names.map((n) => path.join(d, n)))];
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw configError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      "check the path in OS_CLIENT_CONFIG_FILE and the file's permissions",
      file,
    );
  }
  try {
    const doc = parse(text);
    return doc && typeof doc === "object" ? (doc as Record<string, unknown>) : {};
  } catch (e) {
    // YAML errors quote the offending line, which may hold a password: report the position only.
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : "";
    throw configError(`${file} is not valid YAML${where}`, "fix the file's syntax", file);
  }
}

function firstExisting(files: string[], explicit: string | undefined): string | undefined {
  // An explicitly named file that is missing is an error, not a reason to look elsewhere.
  if (explicit && !fs.existsSync(explicit)) {
    throw configError(
      `OS_CLIENT_CONFIG_FILE names ${explicit}, which does not exist`,
      "point OS_CLIENT_CONFIG_FILE at your clouds.yaml or unset it",
      explicit,
    );
  }
  return files.find((f) => fs.existsSync(f));
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Finds the clouds.yaml entry `name`, with the same entry of `secure.yaml` merged over it. */
export function loadCloud(name: string, env: NodeJS.ProcessEnv = process.env): LoadedCloud {
  const candidates = searchPath(env, "clouds");
  const file = firstExisting(candidates, env.OS_CLIENT_CONFIG_FILE);
  if (!file) {
    throw configError(
      `cloud "${name}" was asked for, but no clouds.yaml was found (looked in ${candidates.join(", ")})`,
      "create a clouds.yaml there or set OS_CLIENT_CONFIG_FILE to its path",
    );
  }
  const clouds = (readYaml(file).clouds ?? {}) as Record<string, CloudsEntry>;
  const entry = clouds[name];
  if (!entry || typeof entry !== "object") {
    const known = Object.keys(clouds);
    throw configError(
      `${file} has no cloud named "${name}" (it has: ${known.length ? known.join(", ") : "none"})`,
      "fix the cloud name or add the entry",
      file,
    );
  }
  const secureFile = searchPath(env, "secure").find((f) => fs.existsSync(f));
  const secure = secureFile ? ((readYaml(secureFile).clouds ?? {}) as Record<string, CloudsEntry>)[name] : undefined;
  return { name, file, entry: secure ? (deepMerge(entry, secure) as CloudsEntry) : entry };
}
