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
 * So, in the plugin process only (started from `configure`, which only the plugin host calls):
 * - one memory-reducing collection when the provider loads shrinks the young generation, and once it
 *   has grown back to {@link YOUNG_CAP_BYTES} it grows no further (V8's `--semi-space-growth-factor`,
 *   read whenever it would grow);
 * - after a provider call, when the old generation has grown {@link SLACK_BYTES} past what the last
 *   full collection left, one full collection runs (15–30 ms at this size; 1–2 per 1000 steps).
 * Both are best effort: where V8 does not honour these flags, nothing changes but memory use.
 */

/** Young generation size (both semi-spaces) past which it stops growing. */
export const YOUNG_CAP_BYTES = 16 * 1024 * 1024;

/** Old-generation growth past the last full collection's result that triggers the next one. */
export const SLACK_BYTES = 16 * 1024 * 1024;

type Collect = (options: { type: "major"; flavor?: "regular" | "last-resort" }) => void;

/** undefined: not started; null: started, collections unavailable. */
let collect: Collect | null | undefined;
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

/** Exposes V8's `gc` to this module alone: it exists only in contexts created while the flag is set. */
function gcFunction(): Collect | null {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc: unknown = vm.runInNewContext("gc");
    return typeof gc === "function" ? (gc as Collect) : null;
  } catch {
    return null;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}

/** Starts keeping the heap compact, once per process. */
export function keepHeapCompact(): void {
  if (collect !== undefined) return;
  collect = gcFunction();
  if (!collect) return;
  collect({ type: "major", flavor: "last-resort" });
  collections++;
  threshold = oldGenerationBytes() + SLACK_BYTES;
}

/** After a provider call: caps the young generation once it reaches its cap, and runs one full
 *  collection when the old generation has grown past the threshold. */
export function checkHeap(): void {
  if (!collect) return;
  if (!youngCapped && youngGenerationBytes() >= YOUNG_CAP_BYTES) {
    v8.setFlagsFromString("--semi-space-growth-factor=1");
    youngCapped = true;
  }
  if (oldGenerationBytes() < threshold) return;
  collect({ type: "major" });
  collections++;
  threshold = oldGenerationBytes() + SLACK_BYTES;
}

/** What the keeper has done in this process (for tests and diagnostics). */
export function heapKeeperState(): { active: boolean; collections: number; youngCapped: boolean } {
  return { active: typeof collect === "function", collections, youngCapped };
}

/**
 * The provider's methods, each followed by {@link checkHeap} when its promise settles (or when it
 * returns, for a synchronous method). Results and errors pass through unchanged.
 */
export function withHeapCheck<P extends object>(provider: P): P {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(provider)) {
    wrapped[name] =
      typeof method !== "function"
        ? method
        : (...args: unknown[]) => {
            const result: unknown = method(...args);
            if (result instanceof Promise) return result.finally(checkHeap);
            checkHeap();
            return result;
          };
  }
  return wrapped as P;
}
