// The scale benchmark's chart (bench/scale.ts): seconds against memberships, one line per method, one
// panel per command and layout, drawn with vega-lite and rendered to SVG with vega (no browser).
// An ES module: vega is one, with top-level await, which CommonJS cannot require.
//
//   node bench/chart.mjs bench-results.json bench-results.svg     redraw a chart from saved results
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import * as vega from "vega";
import * as vl from "vega-lite";

const COMMANDS = { create: "up", refresh: "refresh", check: "drift check", delete: "destroy" };
const METHOD_ORDER = ["ImageShare", "ImageMember", "opentofu", "pulumi-openstack", "raw", "noop"];

/** The vega-lite spec of `rows` (ScaleRow[] of bench/scale.ts): the measured ones, a capped one at its limit. */
export function chartSpec(rows) {
  const values = rows
    .filter((r) => typeof r.seconds === "number")
    .map((r) => ({
      method: r.method,
      command: COMMANDS[r.operation] ?? r.operation,
      layout: r.images === 1 ? "1 image × N members" : `${r.images} images × N/${r.images} members`,
      members: r.members,
      seconds: r.seconds,
      limit: r.capped ? "stopped at the limit (lower bound)" : "measured",
    }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Seconds per command against memberships N (log-log; hollow: stopped at the time limit)",
    data: { values },
    facet: {
      row: { field: "layout", type: "nominal", title: null },
      column: { field: "command", type: "nominal", title: null, sort: Object.values(COMMANDS) },
    },
    spec: {
      width: 170,
      height: 150,
      layer: [
        { mark: { type: "line" } },
        { transform: [{ filter: "datum.limit === 'measured'" }], mark: { type: "point", filled: true, size: 40 } },
        { transform: [{ filter: "datum.limit !== 'measured'" }], mark: { type: "point", filled: false, size: 70, strokeWidth: 2 } },
      ],
      encoding: {
        x: { field: "members", type: "quantitative", scale: { type: "log" }, title: "memberships N", axis: { values: [100, 1000, 5000] } },
        y: { field: "seconds", type: "quantitative", scale: { type: "log" }, title: "seconds" },
        color: { field: "method", type: "nominal", sort: METHOD_ORDER, title: "method" },
        tooltip: [{ field: "method" }, { field: "members" }, { field: "seconds" }, { field: "limit" }],
      },
    },
    resolve: { scale: { y: "shared" } },
  };
}

/** The chart of `rows` as an SVG document. */
export async function renderChart(rows) {
  const view = new vega.View(vega.parse(vl.compile(chartSpec(rows)).spec), { renderer: "none" });
  return view.toSVG();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error("usage: node bench/chart.mjs RESULTS.json OUT.svg");
    process.exit(2);
  }
  const results = JSON.parse(fs.readFileSync(input, "utf8"));
  fs.writeFileSync(output, await renderChart(results.rows));
}
