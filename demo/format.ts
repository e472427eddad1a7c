// How the demo prints: the Pulumi CLI's own display of each command (dev/harness/pulumi.ts's RunResult),
// an `openstack image list`-like table, and a transcript writer that never lets a secret through.
import { type RunResult, type Step, urnName } from "../dev/harness/pulumi";

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
 * demo then fails at the end, so a leak can never go unnoticed. Text the demo does not print (a
 * command's plugin diagnostics, a stack's state file) is checked with `scan`.
 */
export class Transcript {
  private readonly secrets = new Set<string>();
  /** Everything printed so far (after redaction). */
  private text = "";
  leaks = 0;
  /** Where unprinted text held a secret (`scan`'s labels). */
  readonly leakedIn: string[] = [];

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

  /** Text that is not printed (`where` names it): each known secret in it counts as a leak. */
  scan(text: string, where: string): number {
    let found = 0;
    for (const s of this.secrets) if (text.includes(s)) found++;
    if (found) {
      this.leaks += found;
      this.leakedIn.push(where);
    }
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

// --- a command's result ---------------------------------------------------------------------------

/**
 * What the CLI printed for one command, as it printed it: its display (stdout), then its closing
 * error line (stderr). Trailing blanks go, runs of blank lines become one. Unless `full`, the
 * display's progress is left out: its `@ updating....` lines, and every line of a resource but its
 * last (`creating` before `created`, `refresh` before `update`).
 */
export function cliLines(result: Pick<RunResult, "stdout" | "stderr">, full = true): string[] {
  const lines: string[] = [];
  for (const part of [full ? result.stdout : withoutProgress(result.stdout), result.stderr]) {
    for (const raw of part.split("\n")) {
      const l = raw.replace(/\s+$/, "");
      if (l === "" && (lines.length === 0 || lines[lines.length - 1] === "")) continue;
      lines.push(l);
    }
  }
  while (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** A resource line of the CLI's display: ` +  <type> <name> created (0.06s)`, `    <type> <name>`. */
const RESOURCE_LINE = /^ (?:[-+~=<>]{1,2}| ) +([\w.-]+:[\w./-]*:[\w.-]+) (\S+)(?: |$)/;
/** Where the display's step lines end. */
const SECTION = /^(Outputs|Resources|Diagnostics|Policies|Policy Violations):/;

function withoutProgress(display: string): string {
  const lines = display.split("\n");
  const end = lines.findIndex((l) => SECTION.test(l));
  const steps = end < 0 ? lines.length : end;
  const lastOf = new Map<string, number>();
  lines.slice(0, steps).forEach((l, i) => {
    const m = RESOURCE_LINE.exec(l);
    if (m) lastOf.set(`${m[1]} ${m[2]}`, i);
  });
  return lines
    .filter((l, i) => {
      if (i >= steps) return true;
      if (/^@ /.test(l)) return false;
      const m = RESOURCE_LINE.exec(l);
      return !m || lastOf.get(`${m[1]} ${m[2]}`) === i;
    })
    .join("\n");
}

/** The whole block for one command: the CLI's own output, then its exit code. */
export function renderRun(t: Transcript, result: RunResult, full = false): void {
  for (const l of cliLines(result, full)) t.line(l);
  t.line(`(exit code ${result.exitCode})`);
}

/** Top-level inputs that the step of resource `name` with op `op` changes, from its engine event (the
 *  CLI reports no `diffs` for a dynamic provider's step: its display compares these inputs too). */
export function changedInputs(result: RunResult, name: string, op: string): string[] {
  const pre = result.events.find((e) => e.resourcePreEvent?.metadata?.op === op && urnName(e.resourcePreEvent.metadata.urn) === name)
    ?.resourcePreEvent.metadata;
  if (!pre) return [];
  const olds: Record<string, unknown> = pre.old?.inputs ?? {};
  const news: Record<string, unknown> = pre.new?.inputs ?? {};
  return [...new Set([...Object.keys(olds), ...Object.keys(news)])]
    .filter((k) => k !== "__provider" && JSON.stringify(olds[k]) !== JSON.stringify(news[k]))
    .sort();
}

/** Lines of `result.output` (plugin diagnostics, the program's own output) the CLI's display did not
 *  show: printed when a command did not end as expected. */
export function extraLines(result: RunResult): string[] {
  const shown = new Set(cliLines(result, true).map((l) => l.trim()));
  return result.output
    .split("\n")
    .map((l) => l.replace(/\s+$/, ""))
    .filter((l) => l.trim() && !shown.has(l.trim()));
}

/** Ops of steps that change something (the CLI's; refresh steps are not changes in `up`/`preview`). */
const CHANGE_OPS = new Set(["create", "update", "replace", "create-replacement", "delete", "delete-replaced", "import"]);

/** Steps of a result that change something (for expectations). */
export function changes(result: RunResult): Step[] {
  return result.steps.filter((s) => CHANGE_OPS.has(s.op));
}

// --- an `openstack image list` table ------------------------------------------------------------

export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const row = (cells: string[]) => `| ${cells.map((c, i) => (c ?? "").padEnd(widths[i])).join(" | ")} |`;
  return [rule, row(headers), rule, ...rows.map(row), rule];
}
