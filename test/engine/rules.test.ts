// The emulator's engine rules one at a time (engine-semantics.md §1–§6), each on its own stack, all
// in one program directory with the packed fixture package.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, isSecret, secret, type EngineOptions, type RunResult } from "./engine";
import { FIXTURE_PACKAGE, RemoteStore, type FixturePackage } from "./fixture-store";
import { createProgramDir, type ProgramDir } from "../../harness/programs";

const counted = (r: RunResult) => r.steps.filter((s) => s.counted && s.op !== "same").map((s) => `${s.op}:${s.name}`);

describe("engine emulator: engine rules", () => {
  let prog: ProgramDir;
  let stacks = 0;

  beforeAll(async () => {
    prog = await createProgramDir(FIXTURE_PACKAGE, { label: "engine-rules" });
  });
  afterAll(() => prog?.remove());

  /** A fresh stack whose records live in their own store file. */
  function newStack(opts: Partial<Omit<EngineOptions, "programDir">> = {}) {
    const name = `stack${++stacks}`;
    const store = new RemoteStore(path.join(prog.dir, `${name}-remote.json`));
    const eng = new Engine<FixturePackage>({ programDir: prog, stack: name, ...opts, config: { "fixture:store": store.file, ...opts.config } });
    return { eng, store };
  }

  it("independent creates, refresh reads and deletes overlap, never more than --parallel at once", async () => {
    const { eng, store } = newStack({ parallel: 3 });
    await eng.up((fx) => {
      for (const key of ["p1", "p2", "p3", "p4", "p5", "p6"]) new fx.Record(key, { key, delayMs: 150 });
    });
    await eng.refresh({ previewOnly: true });
    await eng.destroy();
    const seen = store.read().maxInFlight;
    for (const op of ["create", "read", "delete"] as const) {
      expect(seen[op], op).toBeGreaterThan(1);
      expect(seen[op], op).toBeLessThanOrEqual(3);
    }
  });

  it("preview calls neither Create nor Update: outputs that are not inputs are unknown", async () => {
    const { eng, store } = newStack();
    const r = await eng.preview((fx) => {
      const rec = new fx.Record("r", { key: "r", value: "v" });
      return { value: rec.value, note: rec.note };
    });
    expect(r.summary).toEqual({ create: 2 });
    expect(r.outputs).toEqual({ value: "v" });
    expect(store.records).toEqual({});
    expect(fs.existsSync(eng.statePath)).toBe(false);
  });

  it("a create that fails after creating (ErrorResourceInitFailed) is kept with initErrors, and the next up updates it", async () => {
    const { eng, store } = newStack();
    const program = (fx: FixturePackage) => {
      new fx.Record("half", { key: "half", failCreate: "init", delayMs: 300 });
      new fx.Record("whole", { key: "whole" });
    };
    const failed = await eng.up(program, { allowFailure: true });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors.join("\n")).toMatch(/Record \(half\): error: .*failed to initialize: record not ready/);
    const half = eng.resource("half")!;
    expect(half).toMatchObject({ id: "half", initErrors: ["record not ready"] });
    expect(half.outputs.__provider).toBeUndefined(); // the plugin's error path does not add it (§4)
    expect(eng.resource("whole")).toBeDefined(); // what the failed run created is recorded
    // No diff, yet an Update is planned and counted until it succeeds.
    const preview = await eng.preview(program, { expectNoChanges: true, allowFailure: true });
    expect(preview.exitCode).toBe(7);
    expect(counted(preview)).toEqual(["update:half"]);
    const up = await eng.up(program);
    expect(counted(up)).toEqual(["update:half"]);
    expect(store.records.half.updates).toBe(1);
    expect(eng.resource("half")!.initErrors).toBeUndefined();
    expect((await eng.up(program)).hasChanges).toBe(false);
  });

  it("a plain create failure stores nothing and fails the run", async () => {
    const { eng, store } = newStack();
    const r = await eng.up((fx) => void new fx.Record("bad", { key: "bad", failCreate: "plain" }), { allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(/^update failed:/);
    expect(r.errors.join("\n")).toContain("creation refused");
    expect(eng.resource("bad")).toBeUndefined();
    expect(store.records).toEqual({});
  });

  it("Check failures are reported the engine's way and create nothing", async () => {
    const { eng, store } = newStack();
    const r = await eng.up((fx) => void new fx.Record("blank", { key: "" }), { allowFailure: true });
    expect(r.errors.join("\n")).toContain(
      `pulumi-nodejs:dynamic/fixture:Record resource 'blank': property key value "" has a problem: key must be a non-empty string`,
    );
    expect(store.records).toEqual({});
  });

  it("an exception in the program fails the run", async () => {
    const { eng } = newStack();
    const r = await eng.up(
      () => {
        throw new Error("boom");
      },
      { allowFailure: true },
    );
    expect(r.exitCode).toBe(1);
    expect(r.errors.join("\n")).toMatch(/failed with an unhandled exception:\nboom/);
  });

  it("stack config reaches the provider only through Configure; secrets stay out of state and logs", async () => {
    const password = "pw-3f9a1c";
    const { eng, store } = newStack({
      config: {
        "fixture:label": "one",
        "openstack:authUrl": "http://keystone.invalid/v3",
        "openstack:password": secret(password),
        "test-project:greeting": "hello",
        "pulumi-nodejs:flag": "on",
      },
    });
    const program = (fx: FixturePackage, { pulumi }: { pulumi: typeof import("@pulumi/pulumi") }) => {
      const cfg = new pulumi.Config("openstack");
      new fx.Record("c", { key: "c", value: pulumi.secret("hidden-7d2e") });
      return { authUrl: cfg.require("authUrl"), password: cfg.requireSecret("password") };
    };
    const up = await eng.up(program);
    expect(up.outputs).toEqual({ authUrl: "http://keystone.invalid/v3", password });
    const seen = store.configureSeenBy(up.pluginPids[0])!;
    expect(seen).toMatchObject({
      cwd: prog.dir,
      label: "one",
      greeting: "hello", // an unqualified key gets the project's namespace
      openstackAuthUrl: "http://keystone.invalid/v3",
      openstackPassword: password, // unwrapped by the plugin
      pulumiConfigAuthUrl: null, // provider code cannot read openstack:* through pulumi.Config
      env: { PULUMI_NODEJS_PROJECT: "test-project", PULUMI_PROJECT: "test-project" },
    });
    expect(JSON.parse(seen.env.PULUMI_CONFIG!)).toEqual({ flag: "on" });
    const c = eng.resource("c")!;
    expect(isSecret(c.inputs.value) && isSecret(c.outputs.value)).toBe(true);
    const stateText = fs.readFileSync(eng.statePath, "utf8");
    expect(stateText).not.toContain(password);
    expect(stateText).not.toContain("hidden-7d2e");
    expect(up.pluginOutput.map((l) => l.text).join("\n")).not.toContain(password);

    // `pulumi config set` between commands: refresh without the program uses the stored config…
    eng.config = { ...eng.config, "fixture:label": "two" };
    const refresh = await eng.refresh({ previewOnly: true });
    expect(store.configureSeenBy(refresh.pluginPids[0])!.label).toBe("one");
    // …up uses the new one; the default provider's update is internal and never counted.
    const changed = await eng.up(program, { expectNoChanges: true });
    expect(store.configureSeenBy(changed.pluginPids[0])!.label).toBe("two");
    const after = await eng.refresh({ previewOnly: true });
    expect(store.configureSeenBy(after.pluginPids[0])!.label).toBe("two");
  });

  it("the import option fails for a dynamic resource, as with the real engine (its Read carries no inputs)", async () => {
    const { eng, store } = newStack();
    store.edit((d) => (d.records.ext = { key: "ext", value: "v", note: "", updates: 0 }));
    const r = await eng.up((fx) => void new fx.Record("ext", { key: "ext", value: "v" }, { import: "ext" }), { allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.steps.find((s) => s.name === "ext")).toMatchObject({ op: "import", error: expect.stringMatching(/code must be a string/) });
    expect(eng.resource("ext")).toBeUndefined();
  });

  it("replacement is create-before-delete unless deleteBeforeReplace; removed resources go at the end, dependents first", async () => {
    const { eng, store } = newStack();
    await eng.up((fx) => {
      new fx.Record("a", { key: "a1" });
      new fx.Record("c", { key: "c1" }, { deleteBeforeReplace: true });
      const x = new fx.Record("x", { key: "x" });
      new fx.Record("y", { key: "y", value: x.id });
    });
    store.clearJournal();
    const r = await eng.up((fx) => {
      new fx.Record("a", { key: "a2" });
      new fx.Record("c", { key: "c2" }, { deleteBeforeReplace: true });
    });
    expect(r.summary).toEqual({ same: 1, replace: 2, delete: 2 });
    expect(r.steps.find((s) => s.name === "a")).toMatchObject({ op: "replace", replaceKeys: ["key"] });
    expect(r.steps.filter((s) => s.op === "delete-replaced").map((s) => [s.name, s.counted])).toEqual([["a", false]]);
    const w = store.writes();
    const at = (entry: string) => {
      expect(w).toContain(entry);
      return w.indexOf(entry);
    };
    expect(at("create:a2")).toBeLessThan(at("delete:a1"));
    expect(at("delete:c1")).toBeLessThan(at("create:c2"));
    const lastCreate = Math.max(at("create:a2"), at("create:c2"));
    for (const d of ["delete:a1", "delete:x", "delete:y"]) expect(at(d)).toBeGreaterThan(lastCreate);
    expect(at("delete:y")).toBeLessThan(at("delete:x"));
    expect(Object.keys(store.records).sort()).toEqual(["a2", "c2"]);
    expect(eng.readState().resources.filter((x) => x.delete)).toEqual([]);
  });

  it("without diff() (DIFF_UNKNOWN) the engine compares the input maps, __provider included", async () => {
    const { eng } = newStack();
    const notes = (text: string) => (fx: FixturePackage) => void new fx.Note("n", { key: "n", text });
    await eng.up(notes("one"));
    await eng.preview(notes("one"), { expectNoChanges: true });
    // No read() either: refresh echoes the stored state back, which is no change.
    await eng.refresh({ previewOnly: true, expectNoChanges: true });
    const changed = await eng.up(notes("two"));
    expect(changed.steps.find((s) => s.name === "n")).toMatchObject({ op: "update", diffKeys: ["text"] });
    // A different serialized provider in state (say, written by an older package) is a change by itself.
    const state = eng.readState();
    const n = state.resources.find((x) => x.urn.endsWith("::n"))!;
    n.inputs.__provider = `${String(n.inputs.__provider)}\n// older`;
    eng.writeState(state);
    const r = await eng.preview(notes("two"), { expectNoChanges: true, allowFailure: true });
    expect(r.exitCode).toBe(7);
    expect(r.steps.find((s) => s.name === "n")).toMatchObject({ op: "update", diffKeys: ["__provider"] });
  });
});
