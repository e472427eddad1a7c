// The processes a CLI command starts, read from /proc while it runs: which dynamic-provider plugins
// it started and how much memory each reached (VmHWM just before it exits).
import * as fs from "node:fs";

export interface ProcessSample {
  pid: number;
  /** The process it was found under. */
  ppid: number;
  /** argv joined by spaces. */
  command: string;
  /** Peak resident set (VmHWM), kB, at the last sample. */
  peakRssKb?: number;
  /** User + system CPU time, ms, at the last sample. */
  cpuMs?: number;
}

/** A /proc/<pid>/status field in kB (Linux), or undefined when the process is gone. */
export function procStatusKb(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process (/proc/<pid>/stat utime + stime, at Linux's USER_HZ of 100), ms. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields 3.. (after "(comm)")
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The children of every thread of `pid` (the Go CLI starts plugins from any of its threads). */
function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // the thread ended while we looked
    }
  }
  return out;
}

function commandOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return undefined;
  }
}

/** Samples the descendants of `root` every `intervalMs` until stopped. */
export class ProcessWatcher {
  private readonly seen = new Map<number, ProcessSample>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly root: number,
    intervalMs = 25,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const stack = children(this.root).map((pid) => [pid, this.root]);
    while (stack.length) {
      const [pid, ppid] = stack.pop()!;
      stack.push(...children(pid).map((c) => [c, pid]));
      const known = this.seen.get(pid);
      const peak = procStatusKb(pid, "VmHWM");
      // read every time: a child seen between fork and exec still shows its parent's argv (the CLI's,
      // or the plugin script's shell), and a zombie shows none
      const command = commandOf(pid) || undefined;
      if (known) {
        if (peak !== undefined) known.peakRssKb = peak;
        const cpu = procCpuMs(pid);
        if (cpu !== undefined) known.cpuMs = cpu;
        if (command !== undefined) known.command = command;
      } else if (command !== undefined) {
        this.seen.set(pid, { pid, ppid, command, peakRssKb: peak });
      }
    }
  }

  /** Every process seen so far. */
  processes(): ProcessSample[] {
    return [...this.seen.values()];
  }

  /** The dynamic-provider plugin processes seen (`@pulumi/pulumi/cmd/dynamic-provider`). */
  plugins(): ProcessSample[] {
    // (the plugin script first runs `node -e` to find that module: not a plugin)
    return this.processes().filter((p) => /^\S*node \S*\/cmd\/dynamic-provider/.test(p.command));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
