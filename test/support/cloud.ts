/**
 * The cloud the test suite runs against, as tests see it.
 *
 * By default test/global-setup.ts starts one real Keystone + Glance on loopback for the whole run
 * (secure RBAC with scope enforcement, random password, free ports, temporary state dir) and points
 * `OS_CLIENT_CONFIG_FILE` at its clouds.yaml before the test workers start. When
 * `OS_CLIENT_CONFIG_FILE` is already set, the suite targets that cloud instead and starts nothing;
 * its clouds.yaml must have entries `producer`, `consumer`, `outsider` and `admin` (the producer's
 * and the consumer's users need the `member` role on their projects).
 *
 *     const cloud = testCloud();                  // { cloudsFile, local, projects, ... }
 *     new ImageMember("m", { imageId, memberId: cloud.projects.consumer, cloud: "producer" })
 *
 * Tests that need other server settings (member quota, token lifetime, token cache off, restarts)
 * call `requireLocalInstance("<what>")` and then start their own instance with `startOpenStack`
 * from dev/harness/openstack.ts. Such files must be named `*.serial.test.ts`: the `serial` project
 * in test/vitest.config.mts runs them one at a time, after every other file (2 cores: at most the
 * global instance plus one of theirs). Against an external cloud they fail (never skip) with a
 * message saying they need the local instance.
 */
import { inject } from "vitest";
import type { CloudEntry, PolicyMode } from "../../dev/harness/openstack";

export interface TestCloud {
  /** clouds.yaml with entries producer, consumer, outsider, admin (= process.env.OS_CLIENT_CONFIG_FILE). */
  cloudsFile: string;
  /** true: the instance the suite started on loopback; false: an external cloud. */
  local: boolean;
  /** Project ids by clouds.yaml entry name. */
  projects: Record<CloudEntry, string>;
  /** User ids by clouds.yaml entry name. */
  users: Record<CloudEntry, string>;
  /** Keystone v3 URL of the producer entry. */
  authUrl: string;
  /** Glance root URL from the producer's catalog. */
  imageUrl: string;
  /** The local instance's user password (also admin's); undefined for an external cloud. For secret-leak scans only. */
  password?: string;
  /** Every password and application credential secret in the clouds file: what must never leak. */
  secrets: string[];
  /** Local instance only: its state dir (logs in log/) and policy mode. */
  stateDir?: string;
  policy?: PolicyMode;
}

declare module "vitest" {
  interface ProvidedContext {
    openstack: TestCloud;
  }
}

/** The cloud of this test run (provided by test/global-setup.ts). */
export function testCloud(): TestCloud {
  const cloud = inject("openstack");
  if (!cloud) {
    throw new Error("no test cloud: test/global-setup.ts did not run; run vitest with --config test/vitest.config.mts");
  }
  return cloud;
}

/**
 * The local instance; throws (the test fails, it is never skipped) when the suite targets an
 * external cloud. Call it first in tests that need the local servers or start their own.
 */
export function requireLocalInstance(what: string): TestCloud & { local: true; password: string; stateDir: string } {
  const cloud = testCloud();
  if (!cloud.local || cloud.password === undefined || cloud.stateDir === undefined) {
    throw new Error(
      `${what} needs the local OpenStack instance started by the test suite; unset OS_CLIENT_CONFIG_FILE ` +
        `(now ${cloud.cloudsFile}) to run it`,
    );
  }
  return cloud as TestCloud & { local: true; password: string; stateDir: string };
}
