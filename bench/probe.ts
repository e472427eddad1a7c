// Measurements around one CLI command that the harness does not take itself:
//   - the checkpoints the file backend writes (it writes the whole stack file after each step: a
//     temp file renamed over `<stack>.json`, after copying the previous one to `<stack>.json.bak`),
//     counted with fs.watch (inotify) on the stack file's directory;
//   - the CPU time of this process (the proxies, the harness) and of its children that have exited
//     (the CLI and what it waited for: the language host and the program, plugins, the plugin script).
import * as fs from "node:fs";
import * as path from "node:path";

export interface CheckpointStats {
  /** Times `<stack>.json` was replaced during the command. */
  writes: number;
  /** Its size after the command, bytes. */
  finalBytes: number;
  /** Sum of its sizes, read as each write was noticed: ≈ bytes the backend wrote to it. */
  bytesWritten: number;
}

export interface CheckpointWatch {
  /** Stops watching (after letting pending events arrive); later calls return the same result. */
  stop(): Promise<CheckpointStats>;
}

const sizeOf = (file: string): number => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

/** Counts the replacements of `statePath` (the stack's checkpoint file) until stop(). */
export function watchCheckpoints(statePath: string): CheckpointWatch {
  const dir = path.dirname(statePath);
  const name = path.basename(statePath);
  fs.mkdirSync(dir, { recursive: true });
  let writes = 0;
  let bytesWritten = 0;
  const watcher = fs.watch(dir, (event, filename) => {
    // a rename onto the stack file (inotify IN_MOVED_TO); the temp file's own events carry its name
    if (event === "rename" && filename === name && fs.existsSync(statePath)) {
      writes++;
      bytesWritten += sizeOf(statePath);
    }
  });
  let stopped: Promise<CheckpointStats> | undefined;
  return {
    stop: () =>
      (stopped ??= new Promise<void>((r) => setTimeout(r, 100)).then(() => {
        watcher.close();
        return { writes, finalBytes: sizeOf(statePath), bytesWritten };
      })),
  };
}

/** CPU time (user + system) of this process's children that have exited and been waited for, ms:
 *  cutime + cstime of /proc/self/stat (Linux, USER_HZ 100). They include what those children waited
 *  for in turn (the CLI's plugin processes). */
export function exitedChildrenCpuMs(): number {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields 3.. (after "(comm)")
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** CPU time this process used since `since` (process.cpuUsage()), ms. */
export function cpuSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}
