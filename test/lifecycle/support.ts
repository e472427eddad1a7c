import * as fs from "node:fs";
import { expect } from "vitest";
import { Engine, type Program, type RunResult, type StackConfig } from "../engine/engine";
import { createProgramDir, projectPackage, type ProgramDir } from "../engine/package-under-test";

export type Pkg = typeof import("pulumi-image-members");

/** A stack as a user has one: its own program directory with the package installed from the tarball. */
export interface TestStack {
  eng: Engine<Pkg>;
  prog: ProgramDir;
  /** Every result of this stack's commands, for the secret scans. */
  results: RunResult[];
  up(program: Program<Pkg>, opts?: { refresh?: boolean }): Promise<RunResult>;
  destroy(): Promise<RunResult>;
  /** Both drift checks pass: `preview --refresh --expect-no-changes` and `refresh --preview-only --expect-no-changes`. */
  expectNoDrift(program: Program<Pkg>): Promise<void>;
  /** `preview --refresh --expect-no-changes` fails with exit code 7; returns the failed run. */
  expectDrift(program: Program<Pkg>): Promise<RunResult>;
  remove(): Promise<void>;
}

export async function newStack(label: string, config: StackConfig, env: Record<string, string>): Promise<TestStack> {
  const prog = await createProgramDir(projectPackage(), { label });
  const eng = new Engine<Pkg>({ programDir: prog, config, env });
  const results: RunResult[] = [];
  const keep = (r: RunResult) => {
    results.push(r);
    return r;
  };
  return {
    eng, prog, results,
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
      await prog.remove();
    },
  };
}

/** The counted, non-same steps of a run, as `op:name`. */
export const changes = (r: RunResult) =>
  r.steps.filter((s) => s.counted && s.op !== "same" && s.op !== "refresh-same").map((s) => `${s.op}:${s.name}`);

/** Nothing a stack wrote or printed holds a secret: state file, plugin output, errors, messages. */
export function expectNoSecrets(stack: TestStack, secrets: string[]): void {
  const texts = [
    fs.existsSync(stack.eng.statePath) ? fs.readFileSync(stack.eng.statePath, "utf8") : "",
    ...stack.results.flatMap((r) => [r.message ?? "", JSON.stringify(r.errors), ...r.pluginOutput.map((l) => l.text)]),
  ];
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    const leaks = texts.filter((t) => t.includes(secret)).length;
    expect(leaks, "a secret appears in the state or the plugin's output").toBe(0);
  }
}
