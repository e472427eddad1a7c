// The emulator's drift-detection rules, end to end through the real plugin host with the packed and
// installed fixture package: one stack walked through create, no-op, drift of each kind, repair,
// refresh and destroy (engine-semantics.md §1).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, EngineRunError, type ProgramFunction, type RunResult } from "./engine";
import { FIXTURE_PACKAGE, RemoteStore, type FixturePackage } from "./fixture-store";
import { createProgramDir, type ProgramDir } from "../../harness/programs";

const RECORD = "pulumi-nodejs:dynamic/fixture:Record";
const GROUP = "fixture:index:RecordGroup";
const OUTER = "test:index:Outer";

/** Two records (b depends on a), and a component inside a component holding two more. */
const program =
  (value = "v1"): ProgramFunction<FixturePackage> =>
  (fx, { pulumi }) => {
    class Outer extends pulumi.ComponentResource {
      readonly group: InstanceType<FixturePackage["RecordGroup"]>;
      constructor(name: string) {
        super(OUTER, name, {});
        this.group = new fx.RecordGroup(`${name}-group`, { keys: ["g1", "g2"], value }, { parent: this });
        this.registerOutputs({});
      }
    }
    const a = new fx.Record("a", { key: "a", value });
    const b = new fx.Record("b", { key: "b", value: a.value.apply((v) => `${v}+b`) });
    const outer = new Outer("outer");
    return { a: a.value, b: b.value, note: a.note, groupIds: outer.group.ids };
  };

const ops = (r: RunResult) => r.steps.map((s) => `${s.op}:${s.name}`);
const counted = (r: RunResult) => r.steps.filter((s) => s.counted && s.op !== "same" && s.op !== "refresh-same").map((s) => `${s.op}:${s.name}`);

describe("engine emulator: drift detection lifecycle", () => {
  let prog: ProgramDir;
  let eng: Engine<FixturePackage>;
  let store: RemoteStore;

  beforeAll(async () => {
    prog = await createProgramDir(FIXTURE_PACKAGE, { label: "engine-lifecycle" });
    store = new RemoteStore(path.join(prog.dir, "remote.json"));
    eng = new Engine<FixturePackage>({ programDir: prog, config: { "fixture:store": store.file } });
  });
  afterAll(() => prog?.remove());

  it("up creates every resource, with real outputs flowing to dependents and component URNs qualified by their parents", async () => {
    const r = await eng.up(program());
    expect(r.summary).toEqual({ create: 7 });
    expect(r.outputs).toEqual({ a: "v1", b: "v1+b", note: "", groupIds: ["g1", "g2"] });
    expect(Object.keys(store.records).sort()).toEqual(["a", "b", "g1", "g2"]);
    const urns = eng.readState().resources.map((x) => x.urn);
    expect(urns).toContain(eng.urn(OUTER, "outer"));
    expect(urns).toContain(eng.urn(GROUP, "outer-group", [OUTER]));
    expect(urns).toContain(eng.urn(RECORD, "outer-group-g1", [OUTER, GROUP]));
    expect(eng.urn(RECORD, "outer-group-g1", [OUTER, GROUP])).toBe(
      "urn:pulumi:dev::test-project::test:index:Outer$fixture:index:RecordGroup$pulumi-nodejs:dynamic/fixture:Record::outer-group-g1",
    );
    // The package's shim is what reaches the state: a require of the installed package, nothing inlined.
    expect(eng.resource("a")!.inputs.__provider).toMatch(/require\("engine-fixture-records\/provider"\)/);
    expect(r.pluginOutput.map((l) => l.text)).toContain("fixture: created record a");
    expect(r.pluginPids).toHaveLength(1);
  });

  it("a second up changes nothing, in a new plugin process", async () => {
    const first = store.read().journal.find((j) => j.op === "create")!.pid;
    const r = await eng.up(program());
    expect(r.summary).toEqual({ same: 7 });
    expect(r.hasChanges).toBe(false);
    expect(r.pluginPids).toHaveLength(1);
    expect(r.pluginPids[0]).not.toBe(first);
  });

  it("output-only drift passes both expect-no-changes checks when diff() says no changes", async () => {
    store.edit((d) => (d.records.a.note = "touched by someone else"));
    const preview = await eng.preview(program(), { refresh: true, expectNoChanges: true });
    expect(preview.steps.filter((s) => s.op.startsWith("refresh-")).every((s) => !s.counted)).toBe(true);
    expect(preview.summary).toEqual({ same: 7 });
    expect(preview.outputs.note).toBe("touched by someone else"); // the program saw the refreshed outputs
    const refresh = await eng.refresh({ previewOnly: true, expectNoChanges: true });
    expect(refresh.steps.find((s) => s.name === "a")!.op).toBe("refresh-same");
  });

  it("a changed input value fails both checks with exit code 7, naming the resource", async () => {
    store.edit((d) => (d.records.b.value = "changed"));
    const preview = await eng.preview(program(), { refresh: true, expectNoChanges: true, allowFailure: true });
    expect(preview.exitCode).toBe(7);
    expect(counted(preview)).toEqual(["update:b"]);
    expect(preview.message).toMatch(/^no changes were expected for preview but changes were proposed/);
    expect(preview.message).toContain(`update ${eng.urn(RECORD, "b")} [value]`);
    const refresh = await eng.refresh({ previewOnly: true, expectNoChanges: true, allowFailure: true });
    expect(refresh.exitCode).toBe(7);
    expect(counted(refresh)).toEqual(["refresh-update:b"]);
    expect(refresh.message).toMatch(/^no changes were expected for refresh but changes were proposed/);
    // Thrown form, as a test would use it.
    await expect(eng.preview(program(), { refresh: true, expectNoChanges: true })).rejects.toSatisfy(
      (e) => e instanceof EngineRunError && e.exitCode === 7,
    );
    // A plain preview diffs against the stored state and does not see it.
    expect((await eng.preview(program(), { expectNoChanges: true })).hasChanges).toBe(false);
  });

  it("a record deleted behind the engine's back is a counted create (preview --refresh) and a delete (refresh)", async () => {
    store.edit((d) => delete d.records.g2);
    const preview = await eng.preview(program(), { refresh: true, expectNoChanges: true, allowFailure: true });
    expect(preview.exitCode).toBe(7);
    expect(counted(preview).sort()).toEqual(["create:outer-group-g2", "update:b"]);
    const refresh = await eng.refresh({ previewOnly: true, expectNoChanges: true, allowFailure: true });
    expect(counted(refresh).sort()).toEqual(["refresh-delete:outer-group-g2", "refresh-update:b"]);
    expect(eng.resource("outer-group-g2")).toBeDefined(); // --preview-only wrote nothing
  });

  it("up --refresh repairs the drift; afterwards both checks pass", async () => {
    const r = await eng.up(program(), { refresh: true });
    expect(counted(r).sort()).toEqual(["create:outer-group-g2", "update:b"]);
    expect(store.records.b.value).toBe("v1+b");
    expect(store.records.g2.value).toBe("v1");
    await eng.preview(program(), { refresh: true, expectNoChanges: true });
    await eng.refresh({ previewOnly: true, expectNoChanges: true });
  });

  it("an applied refresh writes the drift into state: refresh checks pass after it, preview --refresh still fails", async () => {
    store.edit((d) => (d.records.a.value = "edited"));
    const refresh = await eng.refresh({ expectNoChanges: true, allowFailure: true });
    // The CLI writes the state first and fails afterwards (#10967).
    expect(refresh.exitCode).toBe(7);
    // read() returned `inputs`: they replace the stored inputs.
    expect(eng.resource("a")!.inputs.value).toBe("edited");
    expect(eng.resource("a")!.outputs.value).toBe("edited");
    await eng.refresh({ previewOnly: true, expectNoChanges: true });
    const preview = await eng.preview(program(), { refresh: true, expectNoChanges: true, allowFailure: true });
    // b follows a's output, which the update restores: b stays the same.
    expect(counted(preview)).toEqual(["update:a"]);
    const up = await eng.up(program());
    expect(counted(up)).toEqual(["update:a"]);
    expect(store.records.a.value).toBe("v1");
  });

  it("destroy deletes everything, dependents first", async () => {
    store.clearJournal();
    const r = await eng.destroy();
    expect(r.summary).toEqual({ delete: 7 });
    expect(store.records).toEqual({});
    expect(eng.readState().resources).toEqual([]);
    const writes = store.writes();
    expect(writes.indexOf("delete:b")).toBeLessThan(writes.indexOf("delete:a"));
    expect(ops(r).at(-1)).toBe("delete:test-project-dev"); // the stack is everybody's parent
    expect(fs.readFileSync(eng.statePath, "utf8")).not.toContain("remote.json"); // provider dropped too
  });
});
