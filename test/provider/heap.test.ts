import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { SLACK_BYTES, withHeapCheck, YOUNG_CAP_BYTES } from "../../provider/heap";

interface Workload {
  mode: "on" | "off";
  young: number;
  promoteStartOld: number;
  promotePeakOld: number;
  hwmKb: number;
  active: boolean;
  collections: number;
  youngCapped: boolean;
}

/** Runs test/provider/fixtures/heap-workload.cjs on provider/heap.ts, in a fresh process per mode
 *  (the keeper changes process-wide V8 settings, so never in the test runner itself). */
async function workload(mode: "on" | "off"): Promise<Workload> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "heap-keeper-"));
  try {
    const source = fs.readFileSync(path.join(__dirname, "../../provider/heap.ts"), "utf8");
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    fs.writeFileSync(path.join(dir, "heap.js"), js.outputText);
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(__dirname, "fixtures/heap-workload.cjs"), path.join(dir, "heap.js"), mode], {
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    return JSON.parse(stdout) as Workload;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("heap keeper (plugin process memory)", () => {
  test("caps the young generation and collects promoted garbage: the same work peaks far lower", async () => {
    const off = await workload("off");
    const on = await workload("on");
    // Without it, V8 grows the young generation past the cap (the workload is a real test of it).
    expect(off.active).toBe(false);
    expect(off.young).toBeGreaterThan(YOUNG_CAP_BYTES);
    expect(on).toMatchObject({ active: true, youngCapped: true });
    expect(on.young).toBeLessThanOrEqual(YOUNG_CAP_BYTES);
    // Garbage promoted to the old generation is collected within the slack (plus one step's worth).
    expect(on.collections).toBeGreaterThan(2);
    expect(on.promotePeakOld - on.promoteStartOld).toBeLessThan(3 * SLACK_BYTES);
    expect(off.hwmKb - on.hwmKb).toBeGreaterThan(40 * 1024);
  }, 60_000);

  test("provider methods answer exactly as before, sync or async, results and errors", async () => {
    const failure = new Error("refused");
    const provider = withHeapCheck({
      check: (a: number, b: number) => ({ inputs: { sum: a + b } }),
      create: async (inputs: { id: string }) => ({ id: inputs.id, outs: inputs }),
      delete: async () => {
        throw failure;
      },
      version: "1",
    });
    expect(provider.check(1, 2)).toEqual({ inputs: { sum: 3 } });
    await expect(provider.create({ id: "x" })).resolves.toEqual({ id: "x", outs: { id: "x" } });
    await expect(provider.delete()).rejects.toBe(failure);
    expect(provider.version).toBe("1");
  });
});
