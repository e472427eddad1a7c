// Test-side access to the fixture provider's "remote" store (test/engine/fixture/provider.js), so tests
// can look at and change records behind the engine's back.
import * as fs from "node:fs";
import * as path from "node:path";
import type { PackageSource } from "../../harness/programs";

export const FIXTURE_PACKAGE: PackageSource = { dir: path.join(__dirname, "fixture") };

/** The fixture package's module type, for typed programs: `Engine<FixturePackage>`. */
export type FixturePackage = typeof import("./fixture/index.js");

export interface RemoteRecord {
  key: string;
  value: string;
  note: string;
  updates: number;
}

export interface ConfigureSeen {
  pid: number;
  cwd: string;
  store: string | null;
  label: string | null;
  greeting: string | null;
  openstackAuthUrl: string | null;
  openstackPassword: string | null;
  env: { PULUMI_CONFIG: string | null; PULUMI_NODEJS_PROJECT: string | null; PULUMI_PROJECT: string | null };
  pulumiConfigAuthUrl: string | null;
}

export interface StoreData {
  records: Record<string, RemoteRecord>;
  journal: { op: "create" | "read" | "update" | "delete"; id: string; pid: number }[];
  maxInFlight: Partial<Record<"create" | "read" | "update" | "delete", number>>;
  configures: Record<string, ConfigureSeen>;
}

export class RemoteStore {
  constructor(readonly file: string) {}

  read(): StoreData {
    if (!fs.existsSync(this.file)) return { records: {}, journal: [], maxInFlight: {}, configures: {} };
    return JSON.parse(fs.readFileSync(this.file, "utf8"));
  }

  get records(): Record<string, RemoteRecord> {
    return this.read().records;
  }

  /** Changes the store behind the engine's back. */
  edit(fn: (data: StoreData) => void): void {
    const data = this.read();
    fn(data);
    fs.writeFileSync(this.file, JSON.stringify(data, null, 2));
  }

  /** Journal entries (not reads) as `op:id`, in call order. */
  writes(): string[] {
    return this.read()
      .journal.filter((j) => j.op !== "read")
      .map((j) => `${j.op}:${j.id}`);
  }

  clearJournal(): void {
    this.edit((d) => {
      d.journal = [];
      d.maxInFlight = {};
    });
  }

  /** What configure() saw in the plugin process with this pid. */
  configureSeenBy(pid: number): ConfigureSeen | undefined {
    return this.read().configures[String(pid)];
  }
}
