// `npm run bench -- --scale` (bench/scale.ts) at N = 20, as 1 image × 20 and 10 images × 2, one run,
// through the real Pulumi CLI on its own Keystone + Glance: it asserts what each method sent, what
// each row carries, the time limit, the table and the chart; never the times (those depend on
// whatever else shares the two cores). The peers are left out here: their first build takes many
// minutes (bench/build-peers.sh); `npm run bench -- --scale` runs them.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchSetup, OPERATIONS, type Operation, setupBench } from "../../bench/measure";
import { formatScale, runScale, type ScaleMethod, type ScaleResults, type ScaleRow, writeScale } from "../../bench/scale";
import { type OpenStack, startOpenStack } from "../../dev/harness/openstack";
import { pulumiCli } from "../../dev/harness/pulumi";
import { requireLocalInstance } from "../support/cloud";

const N = 20;
const METHODS: ScaleMethod[] = ["ImageShare", "ImageMember", "raw", "noop"];

describe(`the scale benchmark, N = ${N} as 1 × ${N} and 10 × ${N / 10}, through the real CLI`, () => {
  let openstack: OpenStack | undefined;
  let bench: BenchSetup | undefined;
  let results: ScaleResults;
  let capped: ScaleResults;
  const row = (method: ScaleMethod, operation: Operation, images: number, from = results): ScaleRow => {
    const r = from.rows.find((x) => x.method === method && x.operation === operation && x.images === images && x.members === N);
    if (!r) throw new Error(`no row for ${method} ${operation} at ${images} image(s)`);
    return r;
  };

  beforeAll(async () => {
    requireLocalInstance("the scale benchmark (it starts its own Keystone + Glance with the member quota lifted)");
    openstack = await startOpenStack({ memberQuota: -1 });
    bench = await setupBench(openstack);
    results = await runScale(bench, { sizes: [N], layouts: [1, 10], methods: METHODS, runs: 1 });
    // a limit shorter than any CLI command: ImageMember's up is stopped, ImageShare never is
    capped = await runScale(bench, { sizes: [N], layouts: [1], methods: ["ImageShare", "ImageMember"], runs: 1, timeLimitMs: 1500 });
  }, 900_000);

  afterAll(async () => {
    await bench?.close();
    await openstack?.stop();
  }, 60_000);

  it("has a row per case, method and command, each with the figures the issue names", () => {
    expect(results.rows).toHaveLength(2 * METHODS.length * OPERATIONS.length);
    for (const r of results.rows) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining([
          "method",
          "operation",
          "members",
          "images",
          "seconds",
          "requests",
          "stateBytes",
          "checkpointBytes",
          "pluginPeakRssMiB",
        ]),
      );
      if (r.method === "raw" && r.operation === "check") {
        expect(r.notMeasured).toBe("no drift check");
        continue;
      }
      expect(r.seconds, `${r.method} ${r.operation}`).toBeGreaterThan(0);
      expect(r.capped).toBe(false);
      if (r.method !== "raw") {
        expect(r.pluginPeakRssMiB, `${r.method} ${r.operation}`).toBeGreaterThan(0);
        expect(r.checkpointBytes, `${r.method} ${r.operation}`).toBeGreaterThanOrEqual(0);
      }
      if (r.operation === "create" && r.method !== "raw") expect(r.stateBytes).toBeGreaterThan(0);
    }
    expect(results.meta).toMatchObject({ sizes: [N], layouts: [1, 10], runs: 1, memberWritesInFlight: 8, pulumi: pulumiCli().version });
  });

  it("ImageShare: N POSTs to create, one member list per image to refresh and to check, N DELETEs; at most one token per command", () => {
    for (const images of [1, 10]) {
      const none = { put: 0, getOne: 0, other: 0, failed: 0 };
      // create lists each image's members first: the takeover rule needs to know who is there
      expect(row("ImageShare", "create", images).requests).toMatchObject({ ...none, token: 1, post: N, getList: images, delete: 0 });
      expect(row("ImageShare", "refresh", images).requests).toMatchObject({ ...none, token: 1, post: 0, getList: images, delete: 0 });
      expect(row("ImageShare", "check", images).requests).toMatchObject({ ...none, token: 1, post: 0, getList: images, delete: 0 });
      expect(row("ImageShare", "delete", images).requests).toMatchObject({ ...none, token: 1, post: 0, getList: 0, delete: N });
    }
  });

  it("ImageMember: N POSTs, one list per image to refresh, N DELETEs; its state is per membership, ImageShare's per image", () => {
    for (const images of [1, 10]) {
      expect(row("ImageMember", "create", images).requests).toMatchObject({ token: 1, post: N, getList: 0, getOne: 0, failed: 0 });
      expect(row("ImageMember", "refresh", images).requests).toMatchObject({ getList: images, getOne: 0, post: 0, delete: 0 });
      expect(row("ImageMember", "delete", images).requests).toMatchObject({ delete: N, post: 0, failed: 0 });
    }
    // one resource per image instead of one per membership
    expect(row("ImageShare", "create", 1).stateBytes!).toBeLessThan(row("ImageMember", "create", 1).stateBytes! / 4);
  });

  it("raw HTTP: a token per script, N POSTs, a list per image, N DELETEs, with 8 × images in flight", () => {
    for (const images of [1, 10]) {
      expect(row("raw", "create", images).requests).toMatchObject({ token: 1, post: N, failed: 0 });
      expect(row("raw", "refresh", images).requests).toMatchObject({ token: 1, getList: images, failed: 0 });
      expect(row("raw", "delete", images).requests).toMatchObject({ token: 1, delete: N, failed: 0 });
      expect(row("raw", "create", images).command).toContain(`(${8 * images} in flight)`);
      expect(row("ImageShare", "create", images).command).toBe(`pulumi up --yes --skip-preview --parallel ${8 * images}`);
    }
  });

  it("the no-op provider sent nothing at the same resource count", () => {
    for (const op of OPERATIONS) expect(row("noop", op, 1).requests).toMatchObject({ token: 0, post: 0, getList: 0, delete: 0 });
  });

  it("a method past the time limit is stopped: its row gives the limit as a lower bound and its later commands are not measured", () => {
    const up = row("ImageMember", "create", 1, capped);
    expect(up).toMatchObject({ capped: true, seconds: 1.5 });
    for (const op of ["refresh", "check", "delete"] as const) {
      expect(row("ImageMember", op, 1, capped)).toMatchObject({ seconds: null, notMeasured: "after a command stopped at the limit" });
    }
    // ImageShare is never stopped: it is what the floors measure
    expect(row("ImageShare", "create", 1, capped)).toMatchObject({ capped: false });
    expect(formatScale(capped)).toMatch(/\| ImageMember \| ≥ 1\.50 \| – \| – \| – \|/);
  });

  it("reports the floors it could compute, and writes the JSON, the Markdown table and the SVG chart", () => {
    expect(results.floors.map((f) => f.name)).toEqual(
      expect.arrayContaining(["1 × 20: ImageShare up / raw HTTP's whole script", "10 × 2: ImageShare up / raw HTTP's whole script"]),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-out-"));
    try {
      const files = { json: path.join(dir, "r.json"), table: path.join(dir, "r.md"), chart: path.join(dir, "r.svg") };
      writeScale(results, files);
      expect(JSON.parse(fs.readFileSync(files.json, "utf8")).rows).toHaveLength(results.rows.length);
      const table = fs.readFileSync(files.table, "utf8").trim().split("\n");
      expect(table).toHaveLength(2 + 2 * METHODS.length);
      const svg = fs.readFileSync(files.chart, "utf8");
      expect(svg).toMatch(/^<svg /);
      for (const label of [...METHODS, "up", "refresh", "drift check", "destroy", "1 image × N members"]) expect(svg).toContain(label);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
