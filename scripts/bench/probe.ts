// Timing and memory probes on the engine emulator's plugin client (test/engine/plugin.ts), installed
// from here so that test/engine/ stays untouched: the methods of DynamicProviderPlugin are wrapped
// (once per process) to record
//   - plugin start: from spawning the plugin host to the end of its Configure call;
//   - per RPC kind (Create, Read, Delete): the first call, the last answer, and how many calls;
//   - each plugin process's peak RSS (VmHWM in /proc/<pid>/status), read just before the engine
//     stops it at the end of the command, and its CPU time (/proc/<pid>/stat).
// A Probe collects what happens between begin() and end(); the benchmark runs one command at a time.
import * as fs from "node:fs";
import { DynamicProviderPlugin } from "../../test/engine/plugin";

export interface RpcWindow {
  calls: number;
  /** performance.now() of the first call and of the last answer (ms). */
  first?: number;
  last?: number;
  failures: number;
}

export interface PluginProcess {
  pid: number;
  /** Spawn → configured, ms. */
  startMs: number;
  /** VmHWM at the end of the command, kB (undefined when /proc could not be read). */
  peakRssKb?: number;
  /** VmRSS at the end of the command, kB. */
  rssKb?: number;
  /** User + system CPU time the process used, ms (at the end of the command). */
  cpuMs?: number;
}

export interface ProbeRecord {
  rpc: Record<"create" | "read" | "delete" | "check" | "diff", RpcWindow>;
  plugins: PluginProcess[];
}

/** The window of one RPC kind in ms, or undefined when it was never called. */
export function windowMs(w: RpcWindow): number | undefined {
  return w.first !== undefined && w.last !== undefined ? w.last - w.first : undefined;
}

let current: ProbeRecord | undefined;
const starts = new WeakMap<DynamicProviderPlugin, number>();

function emptyRecord(): ProbeRecord {
  const w = (): RpcWindow => ({ calls: 0, failures: 0 });
  return { rpc: { create: w(), read: w(), delete: w(), check: w(), diff: w() }, plugins: [] };
}

/** Reads a `/proc/<pid>/status` field in kB. */
export function procStatusKb(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process from `/proc/<pid>/stat`, ms (clock ticks assumed 100 Hz, Linux's USER_HZ). */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after "(comm)": state is field 3; utime and stime are fields 14 and 15
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

let installed = false;

/** Wraps DynamicProviderPlugin's methods (idempotent). */
export function installProbe(): void {
  if (installed) return;
  installed = true;
  const proto = DynamicProviderPlugin.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const kind of ["create", "read", "delete", "check", "diff"] as const) {
    const original = proto[kind];
    proto[kind] = async function (this: DynamicProviderPlugin, ...args: unknown[]) {
      const rec = current;
      const w = rec?.rpc[kind];
      if (w) {
        w.calls++;
        w.first ??= performance.now();
      }
      try {
        return await original.apply(this, args);
      } catch (e) {
        if (w) w.failures++;
        throw e;
      } finally {
        if (w) w.last = performance.now();
      }
    };
  }
  const start = DynamicProviderPlugin.start.bind(DynamicProviderPlugin);
  (DynamicProviderPlugin as unknown as { start: typeof DynamicProviderPlugin.start }).start = async (opts) => {
    const t0 = performance.now();
    const plugin = await start(opts);
    starts.set(plugin, t0);
    return plugin;
  };
  const configure = proto.configure;
  proto.configure = async function (this: DynamicProviderPlugin, ...args: unknown[]) {
    const result = await configure.apply(this, args);
    const t0 = starts.get(this);
    if (current && t0 !== undefined) current.plugins.push({ pid: this.pid, startMs: performance.now() - t0 });
    return result;
  };
  const stop = proto.stop;
  proto.stop = async function (this: DynamicProviderPlugin, ...args: unknown[]) {
    // the high-water mark must be read while the process is still there
    const p = current?.plugins.find((x) => x.pid === this.pid);
    if (p) {
      p.peakRssKb = procStatusKb(this.pid, "VmHWM");
      p.rssKb = procStatusKb(this.pid, "VmRSS");
      p.cpuMs = procCpuMs(this.pid);
    }
    return stop.apply(this, args);
  };
}

/** Starts recording (one command at a time). */
export function beginProbe(): void {
  installProbe();
  current = emptyRecord();
}

/** Stops recording and returns what happened since beginProbe(). */
export function endProbe(): ProbeRecord {
  const rec = current ?? emptyRecord();
  current = undefined;
  return rec;
}
