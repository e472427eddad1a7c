// How the demo prints: Pulumi-like step lines and summaries for the engine emulator's RunResult, an
// `openstack image list`-like table, and a transcript writer that never lets a secret through.
import type { RunResult, Step, StepOp } from "../../test/engine/engine";

// --- the transcript ------------------------------------------------------------------------------

let stdoutClosed = false;
// `npm run demo | head`: once the reader is gone, keep going quietly (and still clean up).
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  stdoutClosed = true;
});

function writeStdout(text: string): void {
  if (!stdoutClosed) process.stdout.write(text);
}

/**
 * Everything the demo prints goes through here. Known secrets (the local users' passwords, the
 * Keystone tokens the demo itself obtained) are replaced by `[secret]` and recorded as a leak: the
 * demo then fails at the end, so a leak can never go unnoticed.
 */
export class Transcript {
  private readonly secrets = new Set<string>();
  /** Everything printed so far (after redaction). */
  private text = "";
  leaks = 0;

  constructor(private readonly write: (text: string) => void = writeStdout) {}

  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(value);
  }

  line(text = ""): void {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) {
        this.leaks++;
        out = out.split(s).join("[secret]");
      }
    }
    this.text += `${out}\n`;
    this.write(`${out}\n`);
  }

  /** Secrets learnt after they were printed: how many of the known secrets occur in the transcript. */
  rescan(): number {
    let found = 0;
    for (const s of this.secrets) if (this.text.includes(s)) found++;
    this.leaks += found;
    return found;
  }

  lines(text: string, indent = ""): void {
    for (const l of text.replace(/\s+$/, "").split("\n")) this.line(indent + l);
  }

  heading(n: number, title: string): void {
    this.line();
    const text = `=== ${n}. ${title} `;
    this.line(text + "=".repeat(Math.max(3, 78 - text.length)));
  }

  /** A command the user would type, and where. */
  command(cmd: string, cwd?: string): void {
    this.line(`${cwd ? `${cwd} ` : ""}$ ${cmd}`);
  }

  note(text: string): void {
    this.lines(text, "  # ");
  }
}

// --- Pulumi-like rendering of a command's result ------------------------------------------------

const MARK: Record<string, string> = { create: "+", update: "~", replace: "+-", delete: "-", import: "=" };
const PAST: Record<string, string> = { create: "created", update: "updated", replace: "replaced", delete: "deleted", import: "imported" };
const PLAN: Record<string, string> = { create: "create", update: "update", replace: "replace", delete: "delete", import: "import" };

function displayOp(op: StepOp): string | undefined {
  switch (op) {
    case "create":
    case "update":
    case "replace":
    case "delete":
    case "import":
      return op;
    case "refresh-delete":
      return "delete";
    case "refresh-update":
      return "update";
    default:
      return undefined; // same, refresh-same, delete-replaced: not shown (pulumi without --show-sames)
  }
}

/** One line per counted step that changes something, as `pulumi up`/`preview` print them. */
export function stepLines(result: RunResult): string[] {
  const lines: string[] = [];
  for (const step of result.steps) {
    if (!step.counted) continue;
    const op = displayOp(step.op);
    if (!op) continue;
    const verb = result.dryRun ? PLAN[op] : PAST[op];
    const diff = step.diffKeys.length ? ` [diff: ${step.diffKeys.map((k) => `~${k}`).join(", ")}]` : "";
    const failed = step.error ? ` **failed**: ${step.error}` : "";
    lines.push(`    ${MARK[op]} ${step.type} ${step.name} ${verb}${diff}${failed}`);
  }
  return lines;
}

/** `Resources:` block: `+ 3 created`, `~ 1 to update`, `2 unchanged`. */
export function summaryLines(result: RunResult): string[] {
  const lines = ["Resources:"];
  const s = result.summary;
  for (const op of ["create", "update", "replace", "delete", "import"] as const) {
    const n = s[op] ?? 0;
    if (!n) continue;
    lines.push(`    ${MARK[op]} ${n} ${result.dryRun ? `to ${PLAN[op]}` : PAST[op]}`);
  }
  if (s.same) lines.push(`    ${s.same} unchanged`);
  if (lines.length === 1) lines.push("    no resources");
  return lines;
}

export function outputLines(outputs: Record<string, unknown>): string[] {
  const keys = Object.keys(outputs);
  if (!keys.length) return [];
  return ["Outputs:", ...keys.map((k) => `    ${k}: ${JSON.stringify(outputs[k])}`)];
}

export function header(result: RunResult, stack: string): string {
  switch (result.command) {
    case "up":
      return `Updating (${stack}):`;
    case "preview":
      return `Previewing update (${stack}):`;
    case "refresh":
      return result.dryRun ? `Previewing refresh (${stack}):` : `Refreshing (${stack}):`;
    case "destroy":
      return `Destroying (${stack}):`;
  }
}

/** The whole block for one command, ending with its error and exit code like the CLI. */
export function renderRun(t: Transcript, result: RunResult, stack: string, ms: number): void {
  t.line(header(result, stack));
  for (const l of stepLines(result)) t.line(l);
  if (result.command !== "preview" && result.command !== "refresh") {
    const outs = outputLines(result.outputs);
    if (outs.length) {
      t.line();
      for (const l of outs) t.line(l);
    }
  }
  t.line();
  for (const l of summaryLines(result)) t.line(l);
  t.line();
  t.line(`Duration: ${(ms / 1000).toFixed(1)}s`);
  if (result.exitCode !== 0) {
    const [first, ...rest] = (result.message ?? `${result.command} failed`).split("\n");
    t.line();
    t.line(`error: ${first.replace(/ for (preview|update|refresh|destroy) but/, " but")}`);
    for (const l of rest) t.line(`    ${l.trim()}`);
  }
  t.line(`(exit code ${result.exitCode})`);
}

/** Steps of a result that change something (for expectations). */
export function changes(result: RunResult): Step[] {
  return result.steps.filter((s) => s.counted && displayOp(s.op) !== undefined);
}

// --- an `openstack image list` table ------------------------------------------------------------

export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const row = (cells: string[]) => `| ${cells.map((c, i) => (c ?? "").padEnd(widths[i])).join(" | ")} |`;
  return [rule, row(headers), rule, ...rows.map(row), rule];
}
