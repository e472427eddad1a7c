import * as fs from "node:fs";
import { expect } from "vitest";
import { createProgramDir, type ProgramDir, projectPackage } from "../../dev/harness/programs";
import { type Program, PulumiStack, type RunResult, type StackConfig } from "../../dev/harness/pulumi";

export type Pkg = typeof import("pulumi-image-members");

/** A stack as a user has one: its own program directory with the package installed from the
 *  tarball, run by the real Pulumi CLI. */
export interface TestStack {
  eng: PulumiStack<Pkg>;
  prog: ProgramDir;
  /** Every result of this stack's commands, for the secret scans. */
  results: RunResult[];
  up(program: Program<Pkg>, opts?: { refresh?: boolean; withPreview?: boolean; allowFailure?: boolean }): Promise<RunResult>;
  destroy(): Promise<RunResult>;
  /** Both drift checks pass: `preview --refresh --expect-no-changes` and `refresh --preview-only --expect-no-changes`. */
  expectNoDrift(program: Program<Pkg>): Promise<void>;
  /** `preview --refresh --expect-no-changes` fails with exit code 7; returns the failed run. */
  expectDrift(program: Program<Pkg>): Promise<RunResult>;
  remove(): Promise<void>;
}

export async function newStack(label: string, config: StackConfig, env: Record<string, string>, project?: string): Promise<TestStack> {
  const prog = await createProgramDir(projectPackage(), { label });
  const eng = await PulumiStack.create<Pkg>({ programDir: prog, config, env, project });
  const results: RunResult[] = [];
  const keep = (r: RunResult) => {
    results.push(r);
    return r;
  };
  return {
    eng,
    prog,
    results,
    up: async (program, opts = {}) => keep(await eng.up(program, opts)),
    destroy: async () => keep(await eng.destroy()),
    expectNoDrift: async (program) => {
      keep(await eng.preview(program, { refresh: true, expectNoChanges: true }));
      keep(await eng.refresh({ previewOnly: true, expectNoChanges: true }));
    },
    expectDrift: async (program) => {
      const r = keep(await eng.preview(program, { refresh: true, expectNoChanges: true, allowFailure: true }));
      expect(r.exitCode).toBe(7);
      return r;
    },
    remove: async () => {
      await eng.remove();
    },
  };
}

/** Steps that change nothing, or are the halves of a `replace` step. */
const NOT_CHANGES = ["same", "refresh-same", "read", "create-replacement", "delete-replaced"];

/** The steps that change something, as `op:name`: providers left out, and the refresh steps of
 *  `preview --refresh` / `up --refresh` too (they count only in `pulumi refresh`). */
export const changes = (r: RunResult) =>
  r.steps
    .filter((s) => !s.type.startsWith("pulumi:providers:") && !NOT_CHANGES.includes(s.op))
    .filter((s) => r.command === "refresh" || !s.op.startsWith("refresh-"))
    .map((s) => `${s.op}:${s.name}`);

/** Nothing a stack wrote or printed holds a secret: state file, `pulumi stack export`, CLI and plugin output. */
export async function expectNoSecrets(stack: TestStack, secrets: string[]): Promise<void> {
  const texts = [
    fs.existsSync(stack.eng.statePath) ? fs.readFileSync(stack.eng.statePath, "utf8") : "",
    JSON.stringify(await stack.eng.exportState()),
    ...stack.results.flatMap((r) => [r.message ?? "", r.output]),
  ];
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    const leaks = texts.filter((t) => t.includes(secret)).length;
    expect(leaks, "a secret appears in the state or the CLI's output").toBe(0);
  }
}
