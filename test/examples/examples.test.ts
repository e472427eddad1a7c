// examples/producer, examples/consumer and examples/from-config as users run them, through the real
// Pulumi CLI: the package installed from its tarball into a copy of each example, `pulumi stack
// init`, `pulumi config set [--path]`, `pulumi up` (the folder's index.ts, run by the CLI's Node.js
// language host pulumi-language-nodejs with the folder's @pulumi/pulumi and ts-node), against the
// suite's OpenStack.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { addMemberRaw, listImages, listMembersRaw } from "../../dev/harness/images";
import { createProgramDir, type ProgramDir, projectPackage, REPO_ROOT } from "../../dev/harness/programs";
import { languageHosts, PulumiStack, pulumiCli, type RunResult, type StackConfig } from "../../dev/harness/pulumi";
import { type TestCloud, testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";

const SHARE = "pulumi-nodejs:dynamic/glance:ImageShare";
const ACCEPTANCE = "pulumi-nodejs:dynamic/glance:MemberAcceptance";
/** The folder's own program (Pulumi.yaml, package.json's main), run by the CLI's language host. */
const program = {};

/** The command ran the folder's program under the language host dev/pulumi-cli.sh provides. */
function ranUnderLanguageHost(r: RunResult): void {
  const hosts = languageHosts(r.processes);
  expect(hosts.length, `no pulumi-language-nodejs among: ${r.processes.map((p) => p.command).join("; ")}`).toBeGreaterThanOrEqual(1);
  for (const h of hosts) expect(h.command.split(" ")[0]).toBe(pulumiCli().languageHost);
}

function projectOf(example: string): string {
  return (parseYaml(fs.readFileSync(path.join(REPO_ROOT, "examples", example, "Pulumi.yaml"), "utf8")) as { name: string }).name;
}

/** Steps that change something, as `op type name` (providers and refreshes left out). */
function changed(r: RunResult): string[] {
  return r.steps
    .filter((s) => !s.type.startsWith("pulumi:providers:") && !["same", "read"].includes(s.op) && !s.op.startsWith("refresh"))
    .map((s) => `${s.op} ${s.type} ${s.name}`);
}

async function memberStatus(cloud: TestCloud, entry: string, imageId: string): Promise<string | undefined> {
  const r = await listMembersRaw(cloud.cloudsFile, entry, imageId);
  expect(r.status).toBe(200);
  return r.body.members.find((m: { member_id: string }) => m.member_id === cloud.projects.consumer)?.status;
}

describe("examples/producer and examples/consumer through the Pulumi CLI", () => {
  let cloud: TestCloud;
  let image: string;
  let producerDir: ProgramDir;
  let consumerDir: ProgramDir;
  let producer: PulumiStack;
  let consumer: PulumiStack;
  const env = () => ({ OS_CLIENT_CONFIG_FILE: cloud.cloudsFile });
  const stackIn = (programDir: ProgramDir, project: string, stack: string, config: StackConfig) =>
    PulumiStack.create({ programDir, project, stack, env: env(), config });

  beforeAll(async () => {
    cloud = testCloud();
    [image, producerDir, consumerDir] = await Promise.all([
      createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "examples-test" }),
      createProgramDir(projectPackage(), { copyFrom: path.join(REPO_ROOT, "examples", "producer"), label: "example-producer" }),
      createProgramDir(projectPackage(), { copyFrom: path.join(REPO_ROOT, "examples", "consumer"), label: "example-consumer" }),
    ]);
    const p = projectOf("producer");
    const c = projectOf("consumer");
    // as the examples' READMEs say: pulumi config set cloud …; pulumi config set --path 'shares[0].imageId' …
    producer = await stackIn(producerDir, p, "dev", {
      [`${p}:cloud`]: "producer",
      [`${p}:shares[0].imageId`]: image,
      [`${p}:shares[0].projectIds[0]`]: cloud.projects.consumer,
    });
    consumer = await stackIn(consumerDir, c, "dev", {
      [`${c}:cloud`]: "consumer",
      [`${c}:images[0].imageId`]: image,
      [`${c}:images[0].name`]: "golden",
    });
  });

  afterAll(async () => {
    producerDir?.remove();
    consumerDir?.remove();
  });

  it("the producer shares, the consumer accepts and sees the image; both drift checks pass; destroy undoes both", async () => {
    const up1 = await producer.up(program);
    ranUnderLanguageHost(up1);
    expect(changed(up1)).toEqual([`create pulumi:pulumi:Stack ${producer.project}-dev`, `create ${SHARE} share-${image}`]);
    expect(up1.outputs).toEqual({ sharedWith: { [image]: [cloud.projects.consumer] } });
    expect(await memberStatus(cloud, "producer", image)).toBe("pending");

    const up2 = await consumer.up(program);
    ranUnderLanguageHost(up2);
    expect(changed(up2)).toEqual([`create pulumi:pulumi:Stack ${consumer.project}-dev`, `create ${ACCEPTANCE} accept-golden`]);
    expect(up2.outputs).toEqual({ accepted: [image], statuses: { [image]: "accepted" } });
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).toContain(image);

    for (const eng of [producer, consumer]) {
      const check = await eng.preview(program, { refresh: true, expectNoChanges: true });
      expect(check.exitCode).toBe(0);
      ranUnderLanguageHost(check);
      expect(changed(check)).toEqual([]);
      await eng.refresh({ previewOnly: true, expectNoChanges: true });
    }

    // the consumer's status: its answer, not the producer's drift
    const again = await producer.up(program);
    expect(changed(again)).toEqual([]);

    const down2 = await consumer.destroy();
    expect(down2.summary).toEqual({ delete: 2 });
    expect(await memberStatus(cloud, "producer", image)).toBe("rejected");
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).not.toContain(image);
    const down1 = await producer.destroy();
    expect(down1.summary).toEqual({ delete: 2 });
    expect(await memberStatus(cloud, "producer", image)).toBeUndefined();
    expect(producer.readState().resources).toEqual([]);
    expect(consumer.readState().resources).toEqual([]);
  }, 300_000);

  it("a status in the consumer's config is applied, and exported as not accepted", async () => {
    const c = consumer.project;
    await producer.up(program);
    const eng = await stackIn(consumerDir, c, "declines", {
      [`${c}:cloud`]: "consumer",
      [`${c}:images[0].imageId`]: image,
      [`${c}:images[0].status`]: "rejected",
    });
    const up = await eng.up(program);
    expect(changed(up)).toContain(`create ${ACCEPTANCE} accept-${image}`);
    expect(up.outputs).toEqual({ accepted: [], statuses: { [image]: "rejected" } });
    expect(await memberStatus(cloud, "producer", image)).toBe("rejected");
    await eng.preview(program, { refresh: true, expectNoChanges: true });
    await eng.destroy();
    await producer.destroy();
  }, 300_000);

  it("acceptFrom accepts what a trusted owner shares, by name and tag, without image ids; the outsider's look-alike is left pending", async () => {
    const c = consumer.project;
    // a tag of this run only: the suite's other tests share images with the consumer too
    const tag = `examples-${Date.now().toString(36)}`;
    const made = async (entry: string, name: string) => {
      const id = await createTestImage(cloud.cloudsFile, entry, { visibility: "shared", name, tags: [tag] });
      expect((await addMemberRaw(cloud.cloudsFile, entry, id, cloud.projects.consumer)).status).toBe(200);
      return id;
    };
    const [a, b, other, outsiders] = [
      await made("producer", "golden-a"),
      await made("producer", "golden-b"),
      await made("producer", "silver"),
      await made("outsider", "golden-o"),
    ];
    const status = (entry: string, id: string) => memberStatus(cloud, entry, id);
    // pulumi config set --path 'acceptFrom.owners[0]' …; --path 'acceptFrom.nameMatch' 'golden-*'; --path 'acceptFrom.tags[0]' …
    const eng = await stackIn(consumerDir, c, "by-owner", {
      [`${c}:cloud`]: "consumer",
      [`${c}:acceptFrom.owners[0]`]: cloud.projects.producer,
      [`${c}:acceptFrom.nameMatch`]: "golden-*",
      [`${c}:acceptFrom.tags[0]`]: tag,
    });
    const up = await eng.up(program);
    const ids = [a, b].sort();
    expect(changed(up).sort()).toEqual(
      [`create pulumi:pulumi:Stack ${c}-by-owner`, "create pulumi-nodejs:dynamic/glance:AcceptShares accept-from"].sort(),
    );
    expect(up.outputs).toEqual({ accepted: ids, statuses: { [a]: "accepted", [b]: "accepted" } });
    expect([
      await status("producer", a),
      await status("producer", b),
      await status("producer", other),
      await status("outsider", outsiders),
    ]).toEqual(["accepted", "accepted", "pending", "pending"]);
    expect((await eng.preview(program, { refresh: true, expectNoChanges: true })).exitCode).toBe(0);
    await eng.refresh({ previewOnly: true, expectNoChanges: true });
    expect((await eng.destroy()).summary).toEqual({ delete: 2 });
    expect([await status("producer", a), await status("producer", b)]).toEqual(["rejected", "rejected"]);
  }, 300_000);

  it("config mistakes stop the program with a message naming the key", async () => {
    const p = producer.project;
    const c = consumer.project;
    const missing = await (await stackIn(producerDir, p, "empty", {})).preview(program, { allowFailure: true });
    expect(missing.exitCode).toBe(1);
    ranUnderLanguageHost(missing);
    expect(missing.message).toContain(`Missing required configuration variable '${p}:shares'`);

    const bad = await (await stackIn(consumerDir, c, "bad", { [`${c}:images[0].image`]: "typo" })).preview(program, { allowFailure: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.message).toContain(`config ${c}:images[0] needs imageId`);

    const none = await (await stackIn(consumerDir, c, "none", { [`${c}:cloud`]: "consumer" })).preview(program, { allowFailure: true });
    expect(none.exitCode).toBe(1);
    expect(none.message).toContain(`set ${c}:images (the ids of images to accept) or ${c}:acceptFrom (the owners whose shares to accept)`);

    const noOwners = await (await stackIn(consumerDir, c, "no-owners", { [`${c}:acceptFrom.nameMatch`]: "golden-*" })).preview(program, {
      allowFailure: true,
    });
    expect(noOwners.exitCode).toBe(1);
    expect(noOwners.message).toContain(`config ${c}:acceptFrom needs owners (a list of project ids)`);

    const emptyOwner = await (await stackIn(consumerDir, c, "empty-owner", { [`${c}:acceptFrom.owners[0]`]: "" })).preview(program, {
      allowFailure: true,
    });
    expect(emptyOwner.exitCode).toBe(1);
    expect(emptyOwner.message).toContain('AcceptShares "accept-from": owners[0] must not be empty (a project id)');
  }, 120_000);
});

describe("examples/from-config through the Pulumi CLI, as a project of its own", () => {
  let cloud: TestCloud;
  let image: string;
  let dir: ProgramDir;
  let project: string;

  beforeAll(async () => {
    cloud = testCloud();
    project = projectOf("from-config");
    [image, dir] = await Promise.all([
      createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "examples-from-config" }),
      createProgramDir(projectPackage(), { copyFrom: path.join(REPO_ROOT, "examples", "from-config"), label: "example-from-config" }),
    ]);
  });

  afterAll(() => dir?.remove());

  it("one stack shares an image and accepts it from the config alone; checks clean; destroy undoes both", async () => {
    const eng = await PulumiStack.create({
      programDir: dir,
      project,
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
    ranUnderLanguageHost(up);
    expect(changed(up).sort()).toEqual(
      [`create pulumi:pulumi:Stack ${project}-dev`, `create ${SHARE} share-${image}`, `create ${ACCEPTANCE} accept-${image}`].sort(),
    );
    expect(up.outputs).toEqual({ shared: { [image]: [cloud.projects.consumer] }, accepted: { [image]: "accepted" } });
    expect(await memberStatus(cloud, "producer", image)).toBe("accepted");
    expect((await eng.preview(program, { refresh: true, expectNoChanges: true })).exitCode).toBe(0);
    await eng.refresh({ previewOnly: true, expectNoChanges: true });

    const empty = await PulumiStack.create({ programDir: dir, project, stack: "empty", env: { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile } });
    const nothing = await empty.preview(program, { allowFailure: true });
    expect(nothing.exitCode).toBe(1);
    expect(nothing.message).toContain("nothing to do: set image-members:shares");

    expect((await eng.destroy()).summary).toEqual({ delete: 3 });
    expect(await memberStatus(cloud, "producer", image)).toBeUndefined();
  }, 300_000);
});
