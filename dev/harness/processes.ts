// The processes a CLI command starts, read from /proc while it runs: which dynamic-provider plugins
// it started and how much memory each reached (VmHWM just before it exits); and, once it has
// exited, the ones still running (the plugins of a killed CLI keep running, each in its own
// process group), which the watcher stops.
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
  /** When it started (/proc/<pid>/stat starttime, clock ticks since boot): tells it from a later
   *  process that got the same pid. */
  startTicks: number;
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

interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  session: number;
  startTicks: number;
}

/** /proc/<pid>/stat's fields this file reads, or undefined when the process is gone. */
function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields 3.. (after "(comm)")
    return { state: fields[0]!, ppid: Number(fields[1]), session: Number(fields[3]), startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** The process sampled is still running: same pid, same start time, not a zombie. */
function running(p: ProcessSample): boolean {
  const now = procStat(p.pid);
  return now !== undefined && now.startTicks === p.startTicks && now.state !== "Z" && now.state !== "X";
}

/** Those of `processes` that still run (a process that got one's pid since is not it). */
export function stillRunning(processes: ProcessSample[]): ProcessSample[] {
  return processes.filter(running);
}

/** Every pid in /proc. */
function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
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

/**
 * Samples the descendants of `root` every `intervalMs` until stopped. `root` must lead its own
 * session (spawned `detached`): its descendants share that session id, which lets `stopLeftovers`
 * find the ones started after the last sample even once `root` is gone and they are orphans.
 */
export class ProcessWatcher {
  /** By pid and start time: a pid may name another process later. */
  private readonly seen = new Map<string, ProcessSample>();
  private readonly timer: NodeJS.Timeout;
  private readonly rootStartTicks: number | undefined;

  constructor(
    private readonly root: number,
    intervalMs = 25,
  ) {
    this.rootStartTicks = procStat(root)?.startTicks;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    // from the root, and from every process seen that still runs: the root may be gone (killed)
    // while what it started runs on
    const stack = [...children(this.root), ...[...this.seen.values()].filter(running).flatMap((p) => children(p.pid))];
    const visited = new Set<number>();
    while (stack.length) {
      const pid = stack.pop()!;
      if (visited.has(pid)) continue;
      visited.add(pid);
      stack.push(...children(pid));
      this.record(pid);
    }
  }

  private record(pid: number): void {
    const stat = procStat(pid);
    if (!stat) return;
    const key = `${pid}/${stat.startTicks}`;
    const known = this.seen.get(key);
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
      this.seen.set(key, { pid, ppid: stat.ppid, command, peakRssKb: peak, startTicks: stat.startTicks });
    }
  }

  /**
   * After the root has exited: stops every process it started that still runs (SIGTERM, then
   * SIGKILL after `graceMs`), each by pid after checking the pid still names the process seen.
   * Returns those it stopped. A last look covers what the periodic samples missed: the processes of
   * the root's session (its descendants keep the session id when they are orphaned) that started
   * after it.
   */
  async stopLeftovers(graceMs = 2_000): Promise<ProcessSample[]> {
    this.stop();
    this.sample();
    if (this.rootStartTicks !== undefined && procStat(this.root) === undefined) {
      for (const pid of allPids()) {
        const stat = procStat(pid);
        if (stat && stat.session === this.root && stat.startTicks >= this.rootStartTicks) this.record(pid);
      }
    }
    const left = this.processes().filter(running);
    const signal = (sig: NodeJS.Signals) => {
      for (const p of left) {
        if (!running(p)) continue;
        try {
          process.kill(p.pid, sig);
        } catch {
          // it ended between the check and the signal
        }
      }
    };
    signal("SIGTERM");
    const until = async (ms: number) => {
      for (const end = Date.now() + ms; left.some(running) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 25));
    };
    await until(graceMs);
    if (left.some(running)) {
      signal("SIGKILL");
      await until(graceMs);
    }
    return left;
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
