// The root Pulumi.yaml program (examples/from-config), through the real Pulumi CLI: run where `pulumi
// up` at the repository root runs it (the repo as the project directory, `main:` from Pulumi.yaml, the
// package found through the node_modules/pulumi-image-members link that `npm ci` makes), and copied
// into a program directory with the package installed from its tarball.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { PulumiStack, type RunResult } from "../../dev/harness/pulumi";
import { REPO_ROOT, createProgramDir, projectPackage, type ProgramDir } from "../../dev/harness/programs";
import { testCloud, type TestCloud } from "../support/cloud";
import { addMemberRaw, listImages, listMembersRaw } from "../../dev/harness/images";
import { createTestImage } from "../support/images";

const MEMBER = "pulumi-nodejs:dynamic/glance:ImageMember";
const ACCEPTANCE = "pulumi-nodejs:dynamic/glance:MemberAcceptance";

interface ProjectFile {
  name: string;
  main?: string;
  runtime: { name: string } | string;
}
const rootProject = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as ProjectFile;

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
  let prog: ProgramDir | undefined;
  /** Stacks made at the repository root: `pulumi stack rm` takes their Pulumi.<stack>.yaml away again. */
  const stacks: PulumiStack[] = [];

  beforeAll(async () => {
    cloud = testCloud();
    image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "root-program-test" });
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "root-program-"));
  });

  afterAll(async () => {
    for (const s of stacks) await s.remove();
    prog?.remove();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("Pulumi.yaml is a nodejs project whose main is examples/from-config", () => {
    expect(rootProject.name).toBe("image-members");
    expect(typeof rootProject.runtime === "string" ? rootProject.runtime : rootProject.runtime.name).toBe("nodejs");
    expect(path.resolve(REPO_ROOT, rootProject.main ?? ".")).toBe(path.join(REPO_ROOT, "examples", "from-config"));
    // what `npm ci` (prepare) sets up so that the plugin can require the package from the repository
    expect(fs.realpathSync(path.join(REPO_ROOT, "node_modules", "pulumi-image-members"))).toBe(fs.realpathSync(REPO_ROOT));
  });

  it("runs at the repository root: a producer stack shares, a consumer stack accepts, both check clean, destroy", async () => {
    // `pulumi up` in the repository: Pulumi.yaml's main
    const program = {};
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
    expect(changed(up1)).toEqual([
      "create pulumi:pulumi:Stack image-members-producer",
      `create image-members:index:ImageShare share-${image}`,
      `create ${MEMBER} share-${image}-${cloud.projects.consumer}`,
    ]);
    expect(up1.outputs).toEqual({ shared: { [image]: [cloud.projects.consumer] }, accepted: {} });
    const up2 = await consumer.up(program);
    expect(changed(up2)).toEqual(["create pulumi:pulumi:Stack image-members-consumer", `create ${ACCEPTANCE} accept-${image}`]);
    expect(up2.outputs).toEqual({ shared: {}, accepted: { [image]: "accepted" } });
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).toContain(image);

    for (const eng of [producer, consumer]) {
      expect((await eng.preview(program, { refresh: true, expectNoChanges: true })).exitCode).toBe(0);
    }
    expect((await consumer.destroy()).summary).toEqual({ delete: 2 });
    expect((await producer.destroy()).summary).toEqual({ delete: 3 });
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
    const [golden, other, untrusted] = [await made("producer", "golden-1"), await made("producer", "scratch-1"), await made("outsider", "golden-2")];
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
    expect(changed(up)).toEqual([
      "create pulumi:pulumi:Stack image-members-accept-from",
      "create image-members:index:AcceptShares accept-from",
      `create ${ACCEPTANCE} accept-from-${golden}`,
    ]);
    expect(up.outputs).toEqual({ shared: {}, accepted: { [golden]: "accepted" } });
    expect(await memberStatus(cloud, golden)).toBe("accepted");
    expect(await memberStatus(cloud, other)).toBe("pending");
    const outsiderView = await listMembersRaw(cloud.cloudsFile, "outsider", untrusted);
    expect(outsiderView.body.members.map((m: { status: string }) => m.status)).toEqual(["pending"]);
    expect((await eng.preview(program, { refresh: true, expectNoChanges: true })).exitCode).toBe(0);
    expect((await eng.destroy()).summary).toEqual({ delete: 3 });
    expect(await memberStatus(cloud, golden)).toBe("rejected");
  }, 300_000);

  it("runs from a program directory with the package installed from its tarball; one stack shares and accepts", async () => {
    prog = await createProgramDir(projectPackage(), { copyFrom: path.join(REPO_ROOT, "examples", "from-config"), label: "from-config" });
    const program = { main: "index.ts" };
    const eng = await PulumiStack.create({
      programDir: prog,
      project: rootProject.name,
      env: { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile },
      config: {
        "image-members:shares[0].imageId": image,
        "image-members:shares[0].projectIds[0]": cloud.projects.consumer,
        "image-members:shares[0].cloud": "producer",
        // the two resources are independent: the acceptance may run before the share exists
        "image-members:accept[0].imageId": image,
        "image-members:accept[0].cloud": "consumer",
        "image-members:accept[0].waitForShareSeconds": "60",
      },
    });
    const up = await eng.up(program);
    expect(changed(up).sort()).toEqual(
      [
        `create pulumi:pulumi:Stack ${rootProject.name}-dev`,
        `create image-members:index:ImageShare share-${image}`,
        `create ${MEMBER} share-${image}-${cloud.projects.consumer}`,
        `create ${ACCEPTANCE} accept-${image}`,
      ].sort(),
    );
    expect(up.outputs).toEqual({ shared: { [image]: [cloud.projects.consumer] }, accepted: { [image]: "accepted" } });
    expect(await memberStatus(cloud, image)).toBe("accepted");
    expect((await eng.preview(program, { refresh: true, expectNoChanges: true })).exitCode).toBe(0);
    await eng.refresh({ previewOnly: true, expectNoChanges: true });

    const empty = await PulumiStack.create({ programDir: prog, project: rootProject.name, stack: "empty", env: { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile } });
    const nothing = await empty.preview(program, { allowFailure: true });
    expect(nothing.exitCode).toBe(1);
    expect(nothing.message).toContain("nothing to do: set image-members:shares");

    expect((await eng.destroy()).summary).toEqual({ delete: 4 });
    expect(await memberStatus(cloud, image)).toBeUndefined();
  }, 300_000);
});
