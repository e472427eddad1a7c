import { configDefaults, defineConfig } from "vitest/config";

// Two tiers. test/unit/** needs no OpenStack, no Pulumi CLI and no root: the SDK and the provider
// against the loopback fake, and the built declarations (`npm run test:unit`, or
// `--project unit`). Every other file runs against the real Keystone + Glance that
// test/global-setup.ts starts (or OS_CLIENT_CONFIG_FILE's cloud); that global setup belongs to the
// projects that need it, so a run of unit files alone starts nothing.
const UNIT = "test/unit/**/*.test.ts";
// Files that start their own OpenStack instance (dev/harness/openstack.ts: other member quota,
// token lifetime, restarts...) are named *.serial.test.ts: they run one at a time, after all the
// other files, so at most two instances (the global one and theirs) share the machine's cores.
const SERIAL = "test/**/*.serial.test.ts";
const EXCLUDE = [...configDefaults.exclude, "test/.work/**"];
// One real Keystone + Glance for the whole run, shared by the projects that list it: test/support/cloud.ts
const RIG = ["test/global-setup.ts"];

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [UNIT],
          exclude: EXCLUDE,
          // explicit orders: with groupOrder 0 and one worker (the default on 2 cores) vitest
          // would move a project behind every other group
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "main",
          include: ["test/**/*.test.ts"],
          exclude: [...EXCLUDE, UNIT, SERIAL],
          globalSetup: RIG,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: "serial",
          include: [SERIAL],
          exclude: EXCLUDE,
          globalSetup: RIG,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
          // lets startOpenStack() know it runs in a file that has the machine to itself
          env: { OSDEV_SERIAL_PROJECT: "1" },
        },
      },
    ],
  },
});
