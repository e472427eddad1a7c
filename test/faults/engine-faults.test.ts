import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  cloudsFileVia,
  FAULT_KINDS,
  type FaultConfig,
  type FaultKind,
  type FaultLogEntry,
  FaultPlanner,
  type FaultProxy,
  randomSeed,
  removeCloudsCopies,
  startFaultProxy,
} from "../../dev/harness/fault-proxy";
import { listMembersRaw } from "../../dev/harness/images";
import type { ProcessSample } from "../../dev/harness/processes";
import { createProgramDir, type ProgramDir, projectPackage } from "../../dev/harness/programs";
import { PulumiStack, type RunResult } from "../../dev/harness/pulumi";
import { changes } from "../lifecycle/support";
import { diagnostics } from "../support/cli-output";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { LeakWatch } from "../support/leaks";

/**
 * A stack of 100 ImageMembers through the real Pulumi CLI (its plugin host, the package as users
 * install it, default retry policy, the CLI's default --parallel) while a seeded proxy faults a fifth
 * of Glance's requests: lost requests, lost answers (Glance acted, the client saw a reset), 503
 * bursts, 429 with Retry-After, delays. `up` ends with exactly the 100 members and no error; a second
 * `up` changes nothing; both drift checks pass; `destroy` leaves none. FAULT_SEED=<n> replays a run
 * (the seed is printed). The CLI counts the stack resource in its summary (not its default provider):
 * 100 members are 101 there. Then the same for one ImageShare of 100 members of another image.
 */
type Pkg = typeof import("pulumi-image-members");

const cloud = testCloud();
const MEMBERS = 100;

/** 20% of Glance's requests get a fault; a 503 burst covers two in a row. */
const MIX: FaultConfig = {
  dropBefore: { rate: 0.05 },
  dropAfter: { rate: 0.05 },
  status503: { rate: 0.02, burst: 2 },
  status429: { rate: 0.03, retryAfterSeconds: 1 },
  latency: { rate: 0.05, minMs: 10, maxMs: 80 },
};

/**
 * FAULT_SEED, or a random seed whose first `n` requests include every fault kind at least twice (the
 * first `n` requests all belong to the `up`, which sends at least one per member): every run proves
 * something about each kind, and stays replayable.
 */
function seedCovering(config: FaultConfig, n: number): number {
  if (process.env.FAULT_SEED) return Number(process.env.FAULT_SEED);
  for (;;) {
    const seed = randomSeed();
    const planner = new FaultPlanner(seed, config);
    const counts: Partial<Record<FaultKind | "none", number>> = {};
    for (let i = 0; i < n; i++) {
      const d = planner.next("POST", "/v2/images/x/members");
      counts[d.fault] = (counts[d.fault] ?? 0) + 1;
    }
    if (FAULT_KINDS.every((k) => (counts[k] ?? 0) >= 2)) return seed;
  }
}

let proxy: FaultProxy;
let prog: ProgramDir;
let eng: PulumiStack<Pkg>;
let image: string;
let shareImage: string;
/** clouds.yaml whose Glance is the proxy. */
let proxiedClouds: string;
const leaks = new LeakWatch();
const memberIds = Array.from({ length: MEMBERS }, () => crypto.randomUUID().replaceAll("-", ""));
const program = (pkg: Pkg) => {
  for (const [i, memberId] of memberIds.entries()) new pkg.ImageMember(`member-${i}`, { imageId: image, memberId });
};

beforeAll(async () => {
  const seed = seedCovering(MIX, MEMBERS);
  [proxy, prog, image, shareImage] = await Promise.all([
    startFaultProxy(cloud.imageUrl, { seed, faults: MIX }),
    createProgramDir(projectPackage(), { label: "engine-faults" }),
    createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "engine-faults-100" }, "file"),
    createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "engine-faults-share-100" }, "file"),
  ]);
  console.log(`[engine-faults] FAULT_SEED=${seed} (set it to replay this run)`);
  // Glance through the proxy, Keystone direct: the stack names its cloud, the environment the file
  proxiedClouds = cloudsFileVia(cloud.cloudsFile, { glance: proxy.url });
  eng = leaks.stack(
    await PulumiStack.create<Pkg>({
      programDir: prog,
      config: { "openstack:cloud": "producer" },
      env: { OS_CLIENT_CONFIG_FILE: proxiedClouds },
    }),
  );
});

afterAll(async () => {
  leaks.forget();
  await proxy?.close();
  prog?.remove();
  removeCloudsCopies();
});

afterEach(() => leaks.expectClean(cloud.secrets, [proxy]));

async function glanceMembers(of = image): Promise<string[]> {
  const r = await listMembersRaw(cloud.cloudsFile, "producer", of);
  expect(r.status).toBe(200);
  return (r.body.members as { member_id: string }[]).map((m) => m.member_id);
}

/** Runs one command and reports what the proxy did to Glance's requests meanwhile, and how many
 *  plugin processes the CLI started for it. */
async function phase(
  label: string,
  command: () => Promise<RunResult>,
): Promise<{ result: RunResult; log: FaultLogEntry[]; plugins: ProcessSample[] }> {
  const from = proxy.log().length;
  const t0 = Date.now();
  const result = leaks.result(await command());
  const plugins = result.plugins;
  const seconds = (Date.now() - t0) / 1000;
  const log = proxy.log().slice(from);
  const kinds = FAULT_KINDS.map((k) => `${k}=${log.filter((e) => e.fault === k).length}`).join(" ");
  const faulted = log.filter((e) => e.fault !== "none").length;
  console.log(
    `[engine-faults] ${label}: ${seconds.toFixed(1)} s, ${plugins.length} plugin process(es), Glance requests ${log.length}, faulted ${faulted}` +
      ` (${log.length ? ((100 * faulted) / log.length).toFixed(1) : "0"}%): ${kinds}; summary ${JSON.stringify(result.summary)}`,
  );
  // no error anywhere: none in the run, none on a step, no diagnostic at all (a plugin's stderr is
  // one of severity info#err, a warning one of severity warning)
  expect(result.exitCode).toBe(0);
  expect(result.errors).toEqual([]);
  expect(result.steps.filter((s) => s.error)).toEqual([]);
  // but an ImageShare's progress lines for large sets ("ImageShare <image>: k of n member writes done")
  const progress = /ImageShare \S+: \d+ of \d+ member writes done$/;
  expect(diagnostics(result).filter((d) => !(d.severity === "info" && progress.test(d.message.trim())))).toEqual([]);
  return { result, log, plugins };
}

describe(`${MEMBERS} ImageMembers while 20% of Glance's requests fail`, () => {
  it("up creates exactly the members, once each, with no error", async () => {
    const { result, log } = await phase("up", () => eng.up(program));
    expect(result.summary).toEqual({ create: MEMBERS + 1 });
    const members = await glanceMembers();
    expect(members).toHaveLength(MEMBERS);
    expect(new Set(members).size).toBe(MEMBERS);
    expect([...members].sort()).toEqual([...memberIds].sort());
    const state = eng.readState().resources.filter((r) => r.type === "pulumi-nodejs:dynamic/glance:ImageMember");
    expect(state.map((r) => r.id).sort()).toEqual(memberIds.map((m) => `${image}/${m}`).sort());
    expect(state.filter((r) => r.initErrors)).toEqual([]);
    // the run really was hostile: every kind, and creates whose answer was lost after Glance acted
    for (const kind of FAULT_KINDS) expect(log.filter((e) => e.fault === kind).length, kind).toBeGreaterThanOrEqual(2);
    const lostCreates = log.filter((e) => e.method === "POST" && e.fault === "dropAfter" && e.upstreamStatus === 200).length;
    // a 409 whose answer was itself dropped is retried once more: count the 409s the plugin saw
    const recovered = log.filter((e) => e.method === "POST" && e.upstreamStatus === 409 && e.clientSaw === 409).length;
    console.log(`[engine-faults] up: ${lostCreates} creates whose 200 was lost, ${recovered} POSTs answered 409 and taken as created`);
    expect(lostCreates).toBeGreaterThanOrEqual(1);
    expect(recovered).toBe(lostCreates);
  });

  it("a second up changes nothing, without asking Glance", async () => {
    // --expect-no-changes: the CLI itself fails the up (exit 7) if any step is a change
    const { result, log } = await phase("second up", () => eng.up(program, { expectNoChanges: true }));
    expect(result.summary).toEqual({ same: MEMBERS + 1 });
    expect(changes(result)).toEqual([]);
    expect(log).toEqual([]); // a plain up diffs against the state
  });

  it("both drift checks pass though their one read meets a lost answer, then a 503 burst", async () => {
    // a refresh of 100 members of one image reads the member list once: at 20% that one request
    // usually passes, so here its first attempts are faulted for certain
    const list = `/v2/images/${image}/members`;
    proxy.setFaults({ dropAfter: { rate: 1, max: 1 } });
    const preview = await phase("preview --refresh --expect-no-changes", () =>
      eng.preview(program, { refresh: true, expectNoChanges: true }),
    );
    expect(preview.result.summary).toEqual({ same: MEMBERS + 1 });
    expect(changes(preview.result)).toEqual([]);
    // the CLI starts two plugin processes here: one for the refresh (the provider from the state),
    // one for the program's default provider, whose diffs ask Glance nothing; so one process reads
    expect(preview.plugins).toHaveLength(2);
    expect(preview.log.map((e) => `${e.method} ${e.path} ${e.fault} ${e.clientSaw}`)).toEqual([
      `GET ${list} dropAfter reset`,
      `GET ${list} none 200`,
    ]);
    expect(preview.result.steps.filter((s) => s.op.startsWith("refresh")).map((s) => s.op)).toEqual(
      Array(MEMBERS + 2).fill("refresh-same"),
    );
    proxy.setFaults({ status503: { rate: 1, burst: 2, max: 1 } });
    const refresh = await phase("refresh --preview-only --expect-no-changes", () =>
      eng.refresh({ previewOnly: true, expectNoChanges: true }),
    );
    expect(refresh.result.summary).toEqual({ same: MEMBERS + 1 });
    expect(refresh.plugins).toHaveLength(1);
    expect(refresh.log.map((e) => `${e.method} ${e.path} ${e.fault} ${e.clientSaw}`)).toEqual([
      `GET ${list} status503 503`,
      `GET ${list} status503 503`,
      `GET ${list} none 200`,
    ]);
    // every member, the stack and its default provider refreshed as the same
    expect(changes(refresh.result)).toEqual([]);
    expect(refresh.result.steps.map((s) => s.op)).toEqual(Array(MEMBERS + 2).fill("refresh-same"));
    proxy.setFaults(MIX);
  });

  it("destroy leaves no member", async () => {
    const { result } = await phase("destroy", () => eng.destroy());
    expect(result.summary).toEqual({ delete: MEMBERS + 1 });
    expect(await glanceMembers()).toEqual([]);
    expect(eng.readState().resources).toEqual([]);
    console.log(`[engine-faults] all commands: ${proxy.summary()}`);
  });
});

describe(`an ImageShare of ${MEMBERS} members while 20% of Glance's requests fail`, () => {
  let share: PulumiStack<Pkg>;
  const shareProgram = (pkg: Pkg) => {
    new pkg.ImageShare("share", { imageId: shareImage, memberIds });
  };
  const SHARE = "pulumi-nodejs:dynamic/glance:ImageShare";

  beforeAll(async () => {
    proxy.setFaults(MIX);
    share = leaks.stack(
      await PulumiStack.create<Pkg>({
        programDir: prog,
        stack: "share",
        config: { "openstack:cloud": "producer" },
        env: { OS_CLIENT_CONFIG_FILE: proxiedClouds },
      }),
    );
  });

  it("up ends with exactly the 100 members in Glance and in the state, and no error", async () => {
    const { result, log } = await phase("ImageShare up", () => share.up(shareProgram));
    expect(result.summary).toEqual({ create: 2 });
    const members = await glanceMembers(shareImage);
    expect([...members].sort()).toEqual([...memberIds].sort());
    const state = share.readState().resources.filter((r) => r.type === SHARE);
    expect(state).toHaveLength(1);
    expect([...(state[0].outputs.memberIds as string[])].sort()).toEqual([...memberIds].sort());
    expect(state[0].initErrors).toBeUndefined();
    // the faults reached this resource's writes, and every POST whose answer was lost after Glance
    // acted was retried, met 409 and was taken as created
    const posts = log.filter((e) => e.method === "POST");
    expect(posts.filter((e) => e.fault !== "none").length).toBeGreaterThanOrEqual(5);
    const lostCreates = posts.filter((e) => e.fault === "dropAfter" && e.upstreamStatus === 200).length;
    const recovered = posts.filter((e) => e.upstreamStatus === 409 && e.clientSaw === 409).length;
    console.log(`[engine-faults] ImageShare up: ${lostCreates} creates whose 200 was lost, ${recovered} POSTs answered 409`);
    expect(recovered).toBe(lostCreates);
  });

  it("a rerun changes nothing, and both drift checks pass under the same faults", async () => {
    const again = await phase("ImageShare second up", () => share.up(shareProgram, { expectNoChanges: true }));
    expect(again.result.summary).toEqual({ same: 2 });
    expect(again.log).toEqual([]);
    const preview = await phase("ImageShare preview --refresh --expect-no-changes", () =>
      share.preview(shareProgram, { refresh: true, expectNoChanges: true }),
    );
    expect(changes(preview.result)).toEqual([]);
    const refresh = await phase("ImageShare refresh --preview-only --expect-no-changes", () =>
      share.refresh({ previewOnly: true, expectNoChanges: true }),
    );
    expect(changes(refresh.result)).toEqual([]);
  });

  it("destroy leaves no member", async () => {
    const { result } = await phase("ImageShare destroy", () => share.destroy());
    expect(result.summary).toEqual({ delete: 2 });
    expect(await glanceMembers(shareImage)).toEqual([]);
    expect(share.readState().resources).toEqual([]);
  });
});
