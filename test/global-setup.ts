/**
 * Vitest global setup: the real OpenStack the tests run against (see test/support/cloud.ts).
 *
 * - `OS_CLIENT_CONFIG_FILE` unset: start one Keystone + Glance for the whole run on free loopback
 *   ports in a temporary state dir (secure RBAC with scope enforcement, what current clouds run;
 *   random password; ~6-8 s), set `OS_CLIENT_CONFIG_FILE` to its clouds.yaml in this process
 *   before the test workers are forked (they inherit it), provide the details to tests
 *   (`inject("openstack")`, through `testCloud()`), and stop it at the end.
 * - `OS_CLIENT_CONFIG_FILE` set: target that cloud; start nothing. It must have the entries
 *   producer, consumer, outsider and admin; their project ids are read from their tokens.
 *
 * If the instance cannot start (packages missing and not installable, a server failing), this
 * throws and the whole run fails: nothing is skipped.
 *
 * test/vitest.config.mts lists this file in each project that needs the cloud (main, serial) and in
 * none of the unit tier's; vitest runs it once per project that has files in the run, so the
 * projects share one start: the first starts (or targets) the cloud, the last teardown stops it.
 */
import * as fs from "node:fs";
import type { TestProject } from "vitest/node";
import { parse as parseYaml } from "yaml";
import { session } from "../dev/harness/images";
import { CLOUD_ENTRIES, type CloudEntry, randomPassword, startOpenStack } from "../dev/harness/openstack";
import type { TestCloud } from "./support/cloud";

/** Every password / application credential secret in a clouds.yaml (what a leak scan looks for). */
function secretsIn(cloudsFile: string): string[] {
  const doc = parseYaml(fs.readFileSync(cloudsFile, "utf8")) as { clouds?: Record<string, any> } | null;
  const out = new Set<string>();
  for (const cloud of Object.values(doc?.clouds ?? {})) {
    for (const key of ["password", "application_credential_secret", "token"]) {
      const v = cloud?.auth?.[key];
      if (typeof v === "string" && v) out.add(v);
    }
  }
  return [...out];
}

async function externalCloud(cloudsFile: string): Promise<TestCloud> {
  if (!fs.existsSync(cloudsFile)) throw new Error(`OS_CLIENT_CONFIG_FILE=${cloudsFile}: no such file`);
  const projects = {} as Record<CloudEntry, string>;
  const users = {} as Record<CloudEntry, string>;
  const sessions = await Promise.all(
    CLOUD_ENTRIES.map((entry) =>
      session(cloudsFile, entry).catch((e: Error) => {
        throw new Error(`OS_CLIENT_CONFIG_FILE=${cloudsFile} must have working entries ${CLOUD_ENTRIES.join(", ")}: ${e.message}`);
      }),
    ),
  );
  CLOUD_ENTRIES.forEach((entry, i) => {
    projects[entry] = sessions[i].projectId;
    users[entry] = sessions[i].userId;
  });
  return {
    cloudsFile,
    local: false,
    projects,
    users,
    authUrl: sessions[0].authUrl,
    imageUrl: sessions[0].imageUrl,
    secrets: secretsIn(cloudsFile),
  };
}

interface Started {
  cloud: TestCloud;
  stop?: () => Promise<void>;
}

/** The cloud of this run and how many projects use it, kept on globalThis: vitest loads this file
 *  once per project, in one process. */
const SHARED = Symbol.for("pulumi-image-members.test-cloud");
type Shared = { started: Promise<Started>; users: number };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const g = globalThis as { [SHARED]?: Shared };
  const shared = (g[SHARED] ??= { started: start(), users: 0 });
  shared.users++;
  const { cloud, stop } = await shared.started;
  project.provide("openstack", cloud);
  return async () => {
    if (--shared.users > 0) return;
    delete g[SHARED];
    await stop?.();
  };
}

async function start(): Promise<Started> {
  const given = process.env.OS_CLIENT_CONFIG_FILE;
  if (given) {
    const cloud = await externalCloud(given);
    console.log(`[global-setup] targeting the external cloud in ${given} (OS_CLIENT_CONFIG_FILE); starting nothing`);
    return { cloud };
  }

  const t0 = Date.now();
  const password = randomPassword();
  const os = await startOpenStack({ policy: "scope", password });
  // before the workers fork: they copy this process's environment
  process.env.OS_CLIENT_CONFIG_FILE = os.cloudsFile;
  const cloud: TestCloud = {
    cloudsFile: os.cloudsFile,
    local: true,
    projects: os.projects,
    users: os.users,
    authUrl: os.authUrl,
    imageUrl: os.imageUrl,
    password,
    secrets: [...new Set([password, os.adminPassword])],
    stateDir: os.stateDir,
    policy: os.policy,
  };
  console.log(
    `[global-setup] OpenStack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
      `keystone ${os.authUrl}, glance ${os.imageUrl}, OS_CLIENT_CONFIG_FILE=${os.cloudsFile}`,
  );

  return {
    cloud,
    stop: async () => {
      if (process.env.OS_CLIENT_CONFIG_FILE === os.cloudsFile) delete process.env.OS_CLIENT_CONFIG_FILE;
      await os.stop();
    },
  };
}
