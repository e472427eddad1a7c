/**
 * A real Keystone 22 + Glance 25 on 127.0.0.1 for tests: a TypeScript API over
 * `dev/rig/openstack.sh` (see the header of that script for what it runs and why).
 *
 * The test suite's global setup (test/global-setup.ts) starts one instance for the whole run; tests
 * reach it through `testCloud()` in test/support/cloud.ts. A test that needs other server settings
 * (member quota, token lifetime, token cache off, restarts) starts its own instance with
 * `startOpenStack`, and its file must be named `*.serial.test.ts`: those files run one at a time,
 * after all the others (the `serial` project in test/vitest.config.mts), so at most two instances
 * share the two cores. Call `requireLocalInstance(...)` from test/support/cloud.ts first, so that a
 * run against an external cloud fails such a file with a clear message instead of starting servers
 * nobody asked for.
 *
 *     const os = await startOpenStack({ memberQuota: 3 });   // ~6-8 s
 *     try { ... os.cloudsFile, os.projects.consumer ... await os.restart("glance") ... }
 *     finally { await os.stop(); }
 *
 * Starting never skips: if the Debian packages cannot be installed or a server cannot start,
 * `startOpenStack` rejects with the tail of the logs that explain it.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** dev/rig/openstack.sh, resolved from this file (dev/harness/ -> dev/rig/). */
export const OPENSTACK_SCRIPT = path.resolve(__dirname, "..", "rig", "openstack.sh");

/** The clouds.yaml entries every instance (and an external cloud used instead) must have. */
export const CLOUD_ENTRIES = ["producer", "consumer", "outsider", "admin"] as const;
export type CloudEntry = (typeof CLOUD_ENTRIES)[number];

/**
 * Policy mode: `legacy` = Zed's default policies; `secure` = secure RBAC (enforce_new_defaults);
 * `scope` = secure RBAC with scope enforcement, what current clouds run (the default).
 */
export type PolicyMode = "legacy" | "secure" | "scope";

export interface OpenStackOptions {
  /** Glance `image_member_quota`: members per image; one more gives 413. Default 128; -1 = unlimited. */
  memberQuota?: number;
  /** Glance `limit_param_default`: images per page of `GET /v2/images` when no limit is given. Default 25. */
  limitParamDefault?: number;
  /** Glance `api_limit_max`: the most images per page, whatever limit is asked for. Default 1000. */
  apiLimitMax?: number;
  /** Keystone token lifetime in seconds. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** How long Glance trusts a token it validated once, seconds. Default 300; -1 = ask Keystone every time. */
  tokenCacheSeconds?: number;
  /** Default "scope". */
  policy?: PolicyMode;
  /** Password of producer-user, consumer-user, outsider-user. Default: random. */
  password?: string;
  /** Password of admin. Default: `password`. */
  adminPassword?: string;
  /** Loopback ports; default: free ones picked by the OS. */
  keystonePort?: number;
  glancePort?: number;
  /** Keep the state dir (configs, sqlite, logs) after stop(). Default: env OSDEV_KEEP_STATE=1. */
  keepState?: boolean;
  /** Give up on start-up after this long (includes an apt-get install if one is needed). Default 300 s. */
  timeoutSeconds?: number;
}

export interface OpenStack {
  /** Temporary state dir: clouds.yaml, ids.json, env, log/, run/. */
  stateDir: string;
  /** clouds.yaml with entries producer, consumer, outsider, admin. */
  cloudsFile: string;
  /** Keystone v3, e.g. http://127.0.0.1:41234/v3 (what clouds.yaml's auth_url says). */
  authUrl: string;
  /** Glance root, e.g. http://127.0.0.1:41235 (what the catalog's image endpoints say). */
  imageUrl: string;
  keystonePort: number;
  glancePort: number;
  policy: PolicyMode;
  password: string;
  adminPassword: string;
  /** Project ids by clouds.yaml entry name. */
  projects: Record<CloudEntry, string>;
  /** User ids by clouds.yaml entry name. */
  users: Record<CloudEntry, string>;
  /** Usernames by entry name (producer-user, consumer-user, outsider-user, admin). */
  usernames: Record<CloudEntry, string>;
  /** Stop and start one server, keeping its data, ports and state dir; resolves once it answers. */
  restart(service: "keystone" | "glance"): Promise<void>;
  /** Stop both servers (only the processes of this instance) and remove the state dir. Idempotent. */
  stop(): Promise<void>;
}

const POLICY_KNOB: Record<PolicyMode, string> = { legacy: "0", secure: "1", scope: "scope" };

/** A random password: 24 base64url characters (no shell or YAML special characters). */
export function randomPassword(): string {
  return randomBytes(18).toString("base64url");
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open at once, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

/** Run `bash dev/rig/openstack.sh <args>` with these extra environment variables. */
export function runOpenStackScript(args: string[], env: Record<string, string | undefined>, timeoutMs = 300_000): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/bash", [OPENSTACK_SCRIPT, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const append = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    // SIGTERM makes the script's EXIT trap stop whatever it had started
    const timer = setTimeout(() => {
      output += `\n[openstack.ts] timed out after ${timeoutMs / 1000} s: sending SIGTERM\n`;
      child.kill("SIGTERM");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Tails of the state dir's logs, for a failure the script's own output does not explain. */
function logTails(stateDir: string, lines = 20): string {
  const dir = path.join(stateDir, "log");
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(".log"));
  } catch {
    return "";
  }
  return names
    .map((n) => {
      const text = fs.readFileSync(path.join(dir, n), "utf8");
      return text.trim() ? `--- last ${lines} lines of ${path.join(dir, n)} ---\n${tail(text, lines)}` : "";
    })
    .filter(Boolean)
    .join("\n");
}

function scriptFailure(what: string, result: ScriptResult, stateDir: string): Error {
  const how = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
  let details = tail(result.output, 80);
  // the script prints the relevant log tails itself when it dies; add them when it could not
  const logs = logTails(stateDir);
  if (!details.includes("--- last ") && logs) details += `\n${logs}`;
  // keep the state dir when it has logs to look at
  const kept = fs.existsSync(path.join(stateDir, "log"));
  if (!kept) fs.rmSync(stateDir, { recursive: true, force: true });
  return new Error(`${what} failed (${how})${kept ? `; state dir ${stateDir} kept for inspection` : ""}:\n${details}`);
}

interface IdsJson {
  keystone_url: string;
  glance_url: string;
  auth_url: string;
  projects: Record<string, string>;
  users: Record<string, string>;
  usernames: Record<string, string>;
}

function pick(map: Record<string, string>, file: string): Record<CloudEntry, string> {
  const out = {} as Record<CloudEntry, string>;
  for (const name of CLOUD_ENTRIES) {
    if (!map[name]) throw new Error(`${file} has no entry for ${name}`);
    out[name] = map[name];
  }
  return out;
}

/** A test file (not the global setup) may start its own instance only from a `*.serial.test.ts` file. */
function assertMayStartOwnInstance(): void {
  const inWorker = process.env.VITEST_WORKER_ID !== undefined || process.env.VITEST_POOL_ID !== undefined;
  if (inWorker && process.env.OSDEV_SERIAL_PROJECT !== "1") {
    throw new Error(
      "startOpenStack() in a test file needs that file to run alone: name it *.serial.test.ts " +
        "(the `serial` project in test/vitest.config.mts runs those one at a time, after the others)",
    );
  }
}

/** Start a fresh Keystone + Glance on free loopback ports in a new temporary state dir. */
export async function startOpenStack(options: OpenStackOptions = {}): Promise<OpenStack> {
  assertMayStartOwnInstance();
  const policy = options.policy ?? "scope";
  if (!(policy in POLICY_KNOB)) throw new Error(`policy must be legacy, secure or scope, not ${String(policy)}`);
  const password = options.password ?? randomPassword();
  const adminPassword = options.adminPassword ?? password;
  const keepState = options.keepState ?? process.env.OSDEV_KEEP_STATE === "1";
  const stateDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "osdev-")));
  const fixedPorts = options.keystonePort !== undefined || options.glancePort !== undefined;

  const knobs = (keystonePort: number, glancePort: number): Record<string, string> => ({
    OSDEV_STATE: stateDir,
    KEYSTONE_PORT: String(keystonePort),
    GLANCE_PORT: String(glancePort),
    GLANCE_SECURE_RBAC: POLICY_KNOB[policy],
    KEYSTONE_SECURE_RBAC: POLICY_KNOB[policy],
    GLANCE_IMAGE_MEMBER_QUOTA: String(options.memberQuota ?? 128),
    GLANCE_LIMIT_PARAM_DEFAULT: String(options.limitParamDefault ?? 25),
    GLANCE_API_LIMIT_MAX: String(options.apiLimitMax ?? 1000),
    KEYSTONE_TOKEN_EXPIRATION: String(options.tokenLifetimeSeconds ?? 3600),
    GLANCE_TOKEN_CACHE_TIME: String(options.tokenCacheSeconds ?? 300),
    OS_USER_PASSWORD: password,
    OS_ADMIN_PASSWORD: adminPassword,
    // if this process dies without calling stop(), a watchdog stops the servers and wipes the dir
    OSDEV_OWNER_PID: String(process.pid),
    OSDEV_WIPE_ON_OWNER_EXIT: keepState ? "0" : "1",
  });

  let keystonePort = 0;
  let glancePort = 0;
  let result: ScriptResult | undefined;
  // Free ports are free when picked, not necessarily a moment later (another instance starting
  // in parallel): on a port clash, pick again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const picked = await freePorts(2);
    keystonePort = options.keystonePort ?? picked[0];
    glancePort = options.glancePort ?? picked[1];
    result = await runOpenStackScript(["up"], knobs(keystonePort, glancePort), (options.timeoutSeconds ?? 300) * 1000);
    if (result.code === 0) break;
    if (fixedPorts || !/in use/i.test(result.output)) break;
  }
  if (result?.code !== 0) {
    throw scriptFailure(`bash ${OPENSTACK_SCRIPT} up`, result!, stateDir);
  }

  const idsFile = path.join(stateDir, "ids.json");
  const ids = JSON.parse(fs.readFileSync(idsFile, "utf8")) as IdsJson;
  const env = { OSDEV_STATE: stateDir };
  let stopping: Promise<void> | undefined;

  return {
    stateDir,
    cloudsFile: path.join(stateDir, "clouds.yaml"),
    authUrl: ids.auth_url,
    imageUrl: ids.glance_url,
    keystonePort,
    glancePort,
    policy,
    password,
    adminPassword,
    projects: pick(ids.projects, idsFile),
    users: pick(ids.users, idsFile),
    usernames: pick(ids.usernames, idsFile),
    async restart(service) {
      if (stopping) throw new Error("restart() after stop()");
      const r = await runOpenStackScript(["restart", service], env, 120_000);
      if (r.code !== 0) throw scriptFailure(`bash ${OPENSTACK_SCRIPT} restart ${service}`, r, stateDir);
    },
    stop() {
      stopping ??= (async () => {
        const r = await runOpenStackScript(["down"], env, 60_000);
        if (r.code !== 0) throw scriptFailure(`bash ${OPENSTACK_SCRIPT} down`, r, stateDir);
        if (!keepState) fs.rmSync(stateDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
