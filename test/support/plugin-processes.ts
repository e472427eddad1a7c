/**
 * Counts the dynamic-provider plugin processes the Pulumi CLI starts for one program directory, from
 * the process tree: every `node …/@pulumi/pulumi/cmd/dynamic-provider…` whose working directory is the
 * project (the CLI starts plugins in the Pulumi.yaml directory). The CLI decides how many plugin
 * processes a command starts (a `pulumi up` with its preview may start two), so tests that depend on a
 * per-process cache count them instead of assuming one.
 *
 *     const plugins = watchPluginProcesses(prog.dir);
 *     await stack.preview(program, { refresh: true });
 *     expect(plugins.stop()).toHaveLength(1);
 *
 * A plugin lives for its whole command (node start-up alone takes longer than the polling interval),
 * so polling every 20 ms sees each one.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface PluginProcessWatch {
  /** Stops polling; the distinct pids seen, in the order they were first seen. */
  stop(): number[];
  /** The pids seen so far. */
  seen(): number[];
}

const PLUGIN_SCRIPT = `${path.sep}@pulumi${path.sep}pulumi${path.sep}cmd${path.sep}dynamic-provider`;

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
    seen: () => [...pids],
  };
}

/** The dynamic-provider plugin processes running now in `projectDir`. */
export function pluginProcesses(projectDir: string): number[] {
  const found: number[] = [];
  for (const entry of safeReaddir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!/(^|\/)node$/.test(argv[0] ?? "") || !argv.some((a) => a.includes(PLUGIN_SCRIPT))) continue;
      if (fs.readlinkSync(`/proc/${entry}/cwd`) !== projectDir) continue;
      found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
