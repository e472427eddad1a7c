import { configDefaults, defineConfig } from "vitest/config";

// Files that start their own OpenStack instance (dev/harness/openstack.ts: other member quota,
// token lifetime, restarts...) are named *.serial.test.ts: they run one at a time, after all the
// other files, so at most two instances (the global one and theirs) share the machine's cores.
const SERIAL = "test/**/*.serial.test.ts";
const EXCLUDE = [...configDefaults.exclude, "test/.work/**"];

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One real Keystone + Glance for the whole run (or OS_CLIENT_CONFIG_FILE's cloud): test/support/cloud.ts
    globalSetup: ["test/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["test/**/*.test.ts"],
          exclude: [...EXCLUDE, SERIAL],
          // an explicit order: with groupOrder 0 and one worker (the default on 2 cores) vitest
          // would move these files behind every other group
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "serial",
          include: [SERIAL],
          exclude: EXCLUDE,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          // lets startOpenStack() know it runs in a file that has the machine to itself
          env: { OSDEV_SERIAL_PROJECT: "1" },
        },
      },
    ],
  },
});
