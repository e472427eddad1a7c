// Program files (like examples/*/index.ts) run in a child Node process with ts-node set up as Pulumi's
// Node language host does it; refresh/destroy and function programs drive the same stack in-process.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "./engine";
import { FIXTURE_PACKAGE, RemoteStore, type FixturePackage } from "./fixture-store";
import { createProgramDir, type ProgramDir } from "../../harness/programs";

const INDEX_TS = `import * as pulumi from "@pulumi/pulumi";
import { Record } from "engine-fixture-records";

const config = new pulumi.Config();
const record = new Record("from-file", { key: "from-file", value: config.require("value") });
console.log("program says hello");

export const value: pulumi.Output<string> = record.value;
export const project = pulumi.getProject();
`;

const TSCONFIG = JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "nodenext", moduleResolution: "nodenext" } });

describe("engine emulator: program files in a child process", () => {
  let prog: ProgramDir;
  let eng: Engine<FixturePackage>;
  let store: RemoteStore;

  beforeAll(async () => {
    prog = await createProgramDir(FIXTURE_PACKAGE, {
      label: "engine-child",
      project: "test-project",
      files: { "index.ts": INDEX_TS, "tsconfig.json": TSCONFIG },
    });
    store = new RemoteStore(path.join(prog.dir, "remote.json"));
    eng = new Engine<FixturePackage>({ programDir: prog, config: { "fixture:store": store.file, "test-project:value": "from config" } });
  });
  afterAll(() => prog?.remove());

  it("runs the TypeScript program, reading stack config, with the same rules", async () => {
    const up = await eng.up({ file: "index.ts" });
    expect(up.summary).toEqual({ create: 2 });
    expect(up.outputs).toEqual({ value: "from config", project: "test-project" });
    expect(up.programOutput).toContain("program says hello");
    expect(store.records["from-file"].value).toBe("from config");
    await eng.preview({ file: "index.ts" }, { refresh: true, expectNoChanges: true });
    store.edit((d) => (d.records["from-file"].value = "edited"));
    const drift = await eng.preview({ file: "index.ts" }, { refresh: true, expectNoChanges: true, allowFailure: true });
    expect(drift.exitCode).toBe(7);
    expect(drift.message).toContain("update urn:pulumi:dev::test-project::pulumi-nodejs:dynamic/fixture:Record::from-file [value]");
  });

  it("serializes the same provider as a function program under vitest, and shares the stack with it", async () => {
    store.edit((d) => (d.records["from-file"].value = "from config")); // undo the drift
    // Same `__provider` text whoever compiled the program: no update.
    const same = await eng.preview((fx) => void new fx.Record("from-file", { key: "from-file", value: "from config" }), {
      expectNoChanges: true,
    });
    expect(same.summary).toEqual({ same: 2 });
    await eng.refresh({ previewOnly: true, expectNoChanges: true });
    await eng.destroy();
    expect(store.records).toEqual({});
  });
});
