// The root Pulumi.yaml program (examples/from-config), through the real Pulumi CLI, run where `pulumi
// up` at the repository root runs it: the repo as the project directory, `main:` from Pulumi.yaml,
// the package found through the node_modules/pulumi-image-members link that `npm ci` makes. The same
// folder as a project of its own, with the package installed from its tarball: examples.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { addMemberRaw, listImages, listMembersRaw } from "../../dev/harness/images";
import { REPO_ROOT } from "../../dev/harness/programs";
import { languageHosts, PulumiStack, pulumiCli, type RunResult } from "../../dev/harness/pulumi";
import { type TestCloud, testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";

const SHARE = "pulumi-nodejs:dynamic/glance:ImageShare";
const ACCEPTANCE = "pulumi-nodejs:dynamic/glance:MemberAcceptance";

interface ProjectFile {
  name: string;
  main?: string;
  runtime: { name: string } | string;
}
const rootProject = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as ProjectFile;

/** The folder's own program, run by the CLI's language host. */
const program = {};

/** The command ran the folder's program under the language host dev/pulumi-cli.sh provides. */
function ranUnderLanguageHost(r: RunResult): void {
  const hosts = languageHosts(r.processes);
  expect(hosts.length, `no pulumi-language-nodejs among: ${r.processes.map((p) => p.command).join("; ")}`).toBeGreaterThanOrEqual(1);
  for (const h of hosts) expect(h.command.split(" ")[0]).toBe(pulumiCli().languageHost);
}

/** Each resource's provider module (./dynamic/*), by type. */
const PROVIDER_MODULES: Record<string, string> = {
  [SHARE]: "image-share",
  [ACCEPTANCE]: "member-acceptance",
  "pulumi-nodejs:dynamic/glance:AcceptShares": "accept-shares",
};

/**
 * Through the symlinked install too, each resource stores the compact require of its type's provider
 * module (Pulumi's serializer would copy a module outside node_modules by value), and the first
 * position of its stack trace is the program's, not the package's constructor. Returns the resources.
 */
function expectStoredProviders(eng: PulumiStack): any[] {
  const resources = eng.resources().filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/glance:"));
  expect(resources.length).toBeGreaterThan(0);
  for (const r of resources) {
    const text = `exports.handler=()=>require("pulumi-image-members/dynamic/${PROVIDER_MODULES[r.type]}")`;
    expect([r.inputs.__provider, r.outputs.__provider]).toEqual([text, text]);
    // (a frame of an anonymous callback, as the program's .map, has no position Pulumi can parse)
    const positions = (r.stackTrace as { sourcePosition?: string }[]).flatMap((f) => (f.sourcePosition ? [f.sourcePosition] : []));
    expect(positions[0]).toMatch(/^project:\/\/\/examples\/from-config\/index\.ts#\d+,\d+$/);
  }
  return resources;
}

/** Steps that change something, as `op type name` (providers and refreshes left out). */
function changed(r: RunResult): string[] {
  return r.steps
    .filter((s) => !s.type.startsWith("pulumi:providers:") && !["same", "read"].includes(s.op) && !s.op.startsWith("refresh"))
    .map((s) => `${s.op} ${s.type} ${s.name}`);
}

async function memberStatus(cloud: TestCloud, imageId: string): Promise<string | undefined> {
  const r = await listMembersRaw(cloud.cloudsFile, "producer", imageId);
  expect(r.status).toBe(200);
  return r.body.members.find((m: { member_id: string }) => m.member_id === cloud.projects.consumer)?.status;
}

describe("the root Pulumi.yaml program (examples/from-config)", () => {
  let cloud: TestCloud;
  let image: string;
  let stateDir: string;
  /** Stacks made at the repository root: `pulumi stack rm` takes their Pulumi.<stack>.yaml away again. */
  const stacks: PulumiStack[] = [];

  beforeAll(async () => {
    cloud = testCloud();
    image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "root-program-test" });
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "root-program-"));
  });

  afterAll(async () => {
    for (const s of stacks) await s.remove();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("Pulumi.yaml is a nodejs project whose main is examples/from-config/index.ts", () => {
    expect(rootProject.name).toBe("image-members");
    expect(typeof rootProject.runtime === "string" ? rootProject.runtime : rootProject.runtime.name).toBe("nodejs");
    // a file: with the folder as main, the language host would run the nearest package.json's entry
    // point, this repository's library, and the stack would declare nothing
    expect(path.resolve(REPO_ROOT, rootProject.main ?? ".")).toBe(path.join(REPO_ROOT, "examples", "from-config", "index.ts"));
    // what `npm ci` (prepare) sets up so that the program and the plugin can require the package from
    // the repository (dev/link-self.js says why nothing else finds it there)
    expect(fs.realpathSync(path.join(REPO_ROOT, "node_modules", "pulumi-image-members"))).toBe(fs.realpathSync(REPO_ROOT));
  });

  it("runs at the repository root: a producer stack shares, a consumer stack accepts, both check clean, destroy", async () => {
    // `pulumi up` in the repository: Pulumi.yaml's main
    const common = {
      programDir: { dir: REPO_ROOT, packageName: "pulumi-image-members" },
      stateDir,
      project: rootProject.name,
      env: { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile },
    };
    const producer = await PulumiStack.create({
      ...common,
      stack: "producer",
      config: {
        "image-members:cloud": "producer",
        "image-members:shares[0].imageId": image,
        "image-members:shares[0].projectIds[0]": cloud.projects.consumer,
      },
    });
    const consumer = await PulumiStack.create({
      ...common,
      stack: "consumer",
      config: { "image-members:accept[0].imageId": image, "image-members:accept[0].cloud": "consumer" },
    });
    stacks.push(producer, consumer);

    const up1 = await producer.up(program);
    ranUnderLanguageHost(up1);
    expect(changed(up1)).toEqual(["create pulumi:pulumi:Stack image-members-producer", `create ${SHARE} share-${image}`]);
    expect(up1.outputs).toEqual({ shared: { [image]: [cloud.projects.consumer] }, accepted: {} });
    const up2 = await consumer.up(program);
    expect(changed(up2)).toEqual(["create pulumi:pulumi:Stack image-members-consumer", `create ${ACCEPTANCE} accept-${image}`]);
    expect(up2.outputs).toEqual({ shared: {}, accepted: { [image]: "accepted" } });
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).toContain(image);
    for (const eng of [producer, consumer]) expectStoredProviders(eng);
    for (const eng of [producer, consumer]) {
      const check = await eng.preview(program, { refresh: true, expectNoChanges: true });
      expect(check.exitCode).toBe(0);
      ranUnderLanguageHost(check);
    }
    expect((await consumer.destroy()).summary).toEqual({ delete: 2 });
    expect((await producer.destroy()).summary).toEqual({ delete: 2 });
    expect(await memberStatus(cloud, image)).toBeUndefined();
  }, 300_000);

  it("image-members:acceptFrom accepts what the listed owners share, filtered by name and tag, without image ids", async () => {
    // a tag of this run only: the suite's other tests share images with the consumer too
    const tag = `root-program-${Date.now().toString(36)}`;
    const made = async (entry: string, name: string) => {
      const id = await createTestImage(cloud.cloudsFile, entry, { visibility: "shared", name, tags: [tag] });
      expect((await addMemberRaw(cloud.cloudsFile, entry, id, cloud.projects.consumer)).status).toBe(200);
      return id;
    };
    const [golden, other, untrusted] = [
      await made("producer", "golden-1"),
      await made("producer", "scratch-1"),
      await made("outsider", "golden-2"),
    ];
    const eng = await PulumiStack.create({
      programDir: { dir: REPO_ROOT, packageName: "pulumi-image-members" },
      stateDir,
      project: rootProject.name,
      stack: "accept-from",
      env: { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile },
      config: {
        "image-members:acceptFrom.owners[0]": cloud.projects.producer,
        "image-members:acceptFrom.nameMatch": "golden-?",
        "image-members:acceptFrom.tags[0]": tag,
        "image-members:acceptFrom.cloud": "consumer",
      },
    });
    stacks.push(eng);
    const program = {};
    const up = await eng.up(program);
    ranUnderLanguageHost(up);
    expect(changed(up)).toEqual([
      "create pulumi:pulumi:Stack image-members-accept-from",
      "create pulumi-nodejs:dynamic/glance:AcceptShares accept-from",
    ]);
    expect(up.outputs).toEqual({ shared: {}, accepted: { [golden]: "accepted" } });
    // declared at the program's top level: Pulumi records that line as its source position
    const [acceptShares] = expectStoredProviders(eng);
    expect(acceptShares.sourcePosition).toMatch(/^project:\/\/\/examples\/from-config\/index\.ts#\d+,\d+$/);
    expect(await memberStatus(cloud, golden)).toBe("accepted");
    expect(await memberStatus(cloud, other)).toBe("pending");
    const outsiderView = await listMembersRaw(cloud.cloudsFile, "outsider", untrusted);
    expect(outsiderView.body.members.map((m: { status: string }) => m.status)).toEqual(["pending"]);
    expect((await eng.preview(program, { refresh: true, expectNoChanges: true })).exitCode).toBe(0);
    expect((await eng.destroy()).summary).toEqual({ delete: 2 });
    expect(await memberStatus(cloud, golden)).toBe("rejected");
  }, 300_000);
});
