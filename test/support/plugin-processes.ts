/**
 * Counts the dynamic-provider plugin processes the Pulumi CLI starts for one program directory, from
 * the process tree: every `node …/@pulumi/pulumi/cmd/dynamic-provider…` whose working directory is the
 * project (the CLI starts plugins in the Pulumi.yaml directory). The CLI decides how many plugin
 * processes a command starts (`preview --refresh` and `up --refresh` start two), so tests whose
 * assertions depend on a per-process cache (one token, one member list) count them instead of
 * assuming one.
 *
 *     const plugins = watchPluginProcesses(prog.dir);
 *     await stack.preview(program, { refresh: true });
 *     expect(plugins.stop()).toHaveLength(2);
 *
 * A plugin lives for its whole command (node's start alone takes longer than the polling interval),
 * so polling every 20 ms sees each one. Whose child it is does not matter: the Go CLI starts plugins
 * from any of its threads, and /proc/<pid>/task/<pid>/children lists only the main thread's children.
 * Only one command at a time may run in the directory.
 */
import * as fs from "node:fs";

export interface PluginProcessWatch {
  /** Stops polling; the distinct pids seen, in the order they were first seen. */
  stop(): number[];
}

/** Polls /proc for dynamic-provider plugin processes running in `projectDir` until `stop()`. */
export function watchPluginProcesses(projectDir: string, intervalMs = 20): PluginProcessWatch {
  const dir = fs.realpathSync(projectDir);
  const pids: number[] = [];
  const poll = () => {
    for (const pid of pluginProcesses(dir)) if (!pids.includes(pid)) pids.push(pid);
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      return [...pids];
    },
  };
}

/** Runs `command` while counting the plugin processes it starts in `projectDir`. */
export async function countingPlugins<T>(projectDir: string, command: () => Promise<T>): Promise<{ result: T; plugins: number[] }> {
  const watch = watchPluginProcesses(projectDir);
  try {
    const result = await command();
    return { result, plugins: watch.stop() };
  } finally {
    watch.stop();
  }
}

/** The dynamic-provider plugin processes running now in `projectDir` (a real path). */
export function pluginProcesses(projectDir: string): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!/(^|\/)node$/.test(argv[0] ?? "") || !argv.some((a) => a.includes("/@pulumi/pulumi/cmd/dynamic-provider"))) continue;
      if (fs.readlinkSync(`/proc/${entry}/cwd`) !== projectDir) continue;
      found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
