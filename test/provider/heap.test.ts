import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { SLACK_BYTES, withHeapCheck, YOUNG_CAP_BYTES } from "../../provider/heap";

const run = promisify(execFile);
const repo = path.join(__dirname, "../..");

type Mode = "on" | "off" | "under-budget";

interface Workload {
  mode: Mode;
  youngBefore: number;
  young: number;
  promoteStartOld: number;
  promotePeakOld: number;
  hwmKb: number;
  armed: boolean;
  engaged: boolean;
  collections: number;
  youngCapped: boolean;
}

/** Runs test/provider/fixtures/heap-workload.cjs on provider/heap.ts, in a fresh process per mode
 *  (the keeper changes process-wide V8 settings, so never in the test runner itself). */
async function workload(mode: Mode): Promise<Workload> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "heap-keeper-"));
  try {
    const source = fs.readFileSync(path.join(repo, "provider/heap.ts"), "utf8");
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    fs.writeFileSync(path.join(dir, "heap.js"), js.outputText);
    const { stdout } = await run(process.execPath, [path.join(__dirname, "fixtures/heap-workload.cjs"), path.join(dir, "heap.js"), mode], {
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    return JSON.parse(stdout) as Workload;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("heap keeper (plugin process memory)", () => {
  test("past the budget: shrinks and caps the young generation and collects promoted garbage: the same work peaks far lower", async () => {
    const off = await workload("off");
    const on = await workload("on");
    // The workload grows V8's young generation past the cap before the keeper starts, and without
    // the keeper it stays there.
    expect(on.youngBefore).toBeGreaterThan(YOUNG_CAP_BYTES);
    expect(off.armed).toBe(false);
    expect(off.young).toBeGreaterThan(YOUNG_CAP_BYTES);
    expect(on).toMatchObject({ armed: true, engaged: true, youngCapped: true });
    expect(on.young).toBeLessThanOrEqual(YOUNG_CAP_BYTES);
    // Garbage promoted to the old generation is collected: without collections it grows ≈ 140 MB here.
    expect(on.collections).toBeGreaterThan(2);
    expect(on.promotePeakOld - on.promoteStartOld).toBeLessThan(4 * SLACK_BYTES);
    expect(off.hwmKb - on.hwmKb).toBeGreaterThan(40 * 1024);
  }, 60_000);

  test("below the memory budget it stays armed and does nothing", async () => {
    const under = await workload("under-budget");
    expect(under).toMatchObject({ armed: true, engaged: false, collections: 0, youngCapped: false });
    expect(under.young).toBeGreaterThan(YOUNG_CAP_BYTES);
  }, 60_000);

  test("the runtime the plugin host loads starts it in configure and checks after each call", async () => {
    // dist/ as the plugin loads it (npm test builds it first)
    const script = `
      const runtime = require(${JSON.stringify(path.join(repo, "dist/provider/runtime.js"))});
      const heap = require(${JSON.stringify(path.join(repo, "dist/provider/heap.js"))});
      const before = heap.heapKeeperState();
      runtime.configure({ get: () => undefined });
      const configured = heap.heapKeeperState();
      runtime.imageMemberProvider.check({}, { imageId: "i", memberId: "m" }).then((checked) =>
        console.log(JSON.stringify({ before, configured, checked, methods: Object.keys(runtime.imageMemberProvider).sort() })));`;
    const { stdout } = await run(process.execPath, ["-e", script], { env: { ...process.env, NODE_OPTIONS: "" } });
    expect(JSON.parse(stdout)).toEqual({
      before: { armed: false, engaged: false, collections: 0, youngCapped: false },
      configured: expect.objectContaining({ armed: true }),
      checked: { inputs: { imageId: "i", memberId: "m" } },
      methods: ["check", "create", "delete", "diff", "read", "update"],
    });
  }, 30_000);

  test("never an error: with V8 flags frozen the keeper stays off and the provider works", async () => {
    const script = `
      const heap = require(${JSON.stringify(path.join(repo, "dist/provider/heap.js"))});
      heap.keepHeapCompact();
      heap.checkHeap();
      console.log(JSON.stringify(heap.heapKeeperState()));`;
    const { stdout } = await run(process.execPath, ["--freeze-flags-after-init", "-e", script], { env: { ...process.env, NODE_OPTIONS: "" } });
    expect(JSON.parse(stdout)).toEqual({ armed: false, engaged: false, collections: 0, youngCapped: false });
  }, 30_000);

  test("provider methods answer exactly as before, sync or async, results and errors", async () => {
    const failure = new Error("refused");
    const provider = withHeapCheck({
      check: (a: number, b: number) => ({ inputs: { sum: a + b } }),
      diff: () => {
        throw failure;
      },
      create: async (inputs: { id: string }) => ({ id: inputs.id, outs: inputs }),
      delete: async () => {
        throw failure;
      },
      version: "1",
    });
    expect(provider.check(1, 2)).toEqual({ inputs: { sum: 3 } });
    expect(() => provider.diff()).toThrow(failure);
    await expect(provider.create({ id: "x" })).resolves.toEqual({ id: "x", outs: { id: "x" } });
    await expect(provider.delete()).rejects.toBe(failure);
    expect(provider.version).toBe("1");
  });
});
