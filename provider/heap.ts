import * as v8 from "node:v8";
import * as vm from "node:vm";

/**
 * Keeps the plugin process's memory near its live size while a command runs many steps.
 *
 * Pulumi runs dynamic providers in a Node.js plugin host that holds ≈ 125 MB once `@pulumi/pulumi` is
 * loaded. Under a burst of steps (1000 creates or reads in a few seconds) V8 lets garbage pile up:
 * its young generation grows to 64–128 MB, and short-lived gRPC and HTTP objects promoted to the old
 * generation are not collected until a limit sized for a multi-gigabyte heap. Measured at 1000
 * members of one image: 276–284 MB peak RSS with ≈ 38 MB live.
 *
 * So, in the plugin process (armed from `configure`, which only the plugin host calls), once its
 * resident memory passes {@link RSS_BUDGET_BYTES} (below that, it costs nothing):
 * - when the young generation is larger than {@link YOUNG_CAP_BYTES}, one memory-reducing collection
 *   shrinks it; once it is back at the cap it grows no further (V8's `--semi-space-growth-factor`,
 *   read whenever it would grow);
 * - after a provider call, when the old generation has grown past what the last full collection
 *   left by {@link SLACK_BYTES} (or by half of it, if that is more), one full collection runs
 *   (15–30 ms at this size; 1–4 per 1000 steps).
 * These are V8 settings of the whole plugin process, so they hold for the program's other dynamic
 * providers too, for the rest of the command. All of it is best effort: where the V8 flags cannot be
 * changed or are not honoured, or anything here fails, the keeper turns itself off and nothing
 * changes but memory use. It is never an error.
 */

/** Resident memory of the plugin process past which the keeper starts. */
export const RSS_BUDGET_BYTES = 160 * 1024 * 1024;

/** Young generation size (both semi-spaces) past which it stops growing. */
export const YOUNG_CAP_BYTES = 16 * 1024 * 1024;

/** Old-generation growth past the last full collection's result that triggers the next one
 *  (at least; half the live size when that is more, so a large live heap is not collected often). */
export const SLACK_BYTES = 16 * 1024 * 1024;

type Collect = (options: { type: "major"; flavor?: "regular" | "last-resort" }) => void;

/** undefined: not armed; null: off (unavailable, or turned itself off). */
let collect: Collect | null | undefined;
let engaged = false;
let threshold = Infinity;
let youngCapped = false;
let collections = 0;

function spaceBytes(select: (name: string) => boolean, field: "space_used_size" | "space_size"): number {
  let bytes = 0;
  for (const space of v8.getHeapSpaceStatistics()) if (select(space.space_name)) bytes += space[field];
  return bytes;
}

/** Bytes in use outside the young generation (the part that holds promoted garbage). */
export function oldGenerationBytes(): number {
  return spaceBytes((name) => !name.startsWith("new_"), "space_used_size");
}

/** Bytes reserved for the young generation's objects (both semi-spaces). */
export function youngGenerationBytes(): number {
  return spaceBytes((name) => name === "new_space", "space_size");
}

/** V8 aborts the process (no exception) when a flag is set after start-up with frozen flags. */
function flagsFrozen(): boolean {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  return /--freeze[-_]flags[-_]after[-_]init\b/.test(given);
}

/** V8's `gc`: the process's own when Node was started with --expose-gc, else one exposed to this
 *  module alone (it exists only in contexts created while the flag is set). */
function gcFunction(): Collect | null {
  const own: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof own === "function") return own as Collect;
  v8.setFlagsFromString("--expose-gc");
  try {
    const gc: unknown = vm.runInNewContext("gc");
    return typeof gc === "function" ? (gc as Collect) : null;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}

function collectNow(flavor: "regular" | "last-resort"): void {
  collect!({ type: "major", flavor });
  collections++;
  setThreshold();
}

function setThreshold(): void {
  const old = oldGenerationBytes();
  threshold = old + Math.max(SLACK_BYTES, old / 2);
}

function capYoungGeneration(): void {
  if (youngCapped || youngGenerationBytes() < YOUNG_CAP_BYTES) return;
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  youngCapped = true;
}

/** Runs `step`; if it throws, the keeper is off from then on. */
function guarded(step: () => void): void {
  try {
    step();
  } catch {
    collect = null;
  }
}

/** Arms the keeper, once per process: it starts at the first check past the memory budget.
 *  Never throws. */
export function keepHeapCompact(): void {
  if (collect !== undefined) return;
  collect = null;
  if (flagsFrozen()) return;
  guarded(() => {
    collect = gcFunction();
  });
}

function engage(): void {
  engaged = true;
  if (youngGenerationBytes() > YOUNG_CAP_BYTES) collectNow("last-resort");
  else setThreshold();
  capYoungGeneration();
}

/** After a provider call: past the memory budget, caps the young generation once it reaches its
 *  cap, and runs one full collection when the old generation has grown past the threshold. Never
 *  throws. */
export function checkHeap(budgetBytes = RSS_BUDGET_BYTES): void {
  if (!collect) return;
  guarded(() => {
    if (!engaged) {
      if (process.memoryUsage.rss() < budgetBytes) return;
      engage();
      return;
    }
    capYoungGeneration();
    if (oldGenerationBytes() >= threshold) collectNow("regular");
  });
}

/** What the keeper has done in this process (for tests and diagnostics). */
export function heapKeeperState(): { armed: boolean; engaged: boolean; collections: number; youngCapped: boolean } {
  return { armed: typeof collect === "function", engaged, collections, youngCapped };
}

/**
 * The provider's methods, each followed by {@link checkHeap} when its promise settles (or when it
 * returns or throws, for a synchronous method). Results and errors pass through unchanged.
 */
export function withHeapCheck<P extends object>(provider: P): P {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(provider)) {
    wrapped[name] =
      typeof method !== "function"
        ? method
        : (...args: unknown[]) => {
            let result: unknown;
            try {
              result = method(...args);
            } catch (e) {
              checkHeap();
              throw e;
            }
            if (result instanceof Promise) return result.finally(checkHeap);
            checkHeap();
            return result;
          };
  }
  return wrapped as P;
}
