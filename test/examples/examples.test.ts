// examples/producer and examples/consumer as users run them: the package installed from its tarball
// into a copy of each example, `index.ts` run like `pulumi up` (a child process with ts-node, the
// stack config read with pulumi.Config), against the suite's OpenStack.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Engine, type RunResult } from "../engine/engine";
import { REPO_ROOT, createProgramDir, projectPackage, type ProgramDir } from "../engine/package-under-test";
import { testCloud, type TestCloud } from "../support/cloud";
import { createImage, deleteImage, listImages, listMembersRaw } from "../support/images";

const MEMBER = "pulumi-nodejs:dynamic/glance:ImageMember";
const ACCEPTANCE = "pulumi-nodejs:dynamic/glance:MemberAcceptance";
const program = { file: "index.ts" };

function projectOf(example: string): string {
  return (parseYaml(fs.readFileSync(path.join(REPO_ROOT, "examples", example, "Pulumi.yaml"), "utf8")) as { name: string }).name;
}

/** Counted steps that change something, as `op type name`. */
function changed(r: RunResult): string[] {
  return r.steps.filter((s) => s.counted && s.op !== "same").map((s) => `${s.op} ${s.type} ${s.name}`);
}

async function memberStatus(cloud: TestCloud, entry: string, imageId: string): Promise<string | undefined> {
  const r = await listMembersRaw(cloud.cloudsFile, entry, imageId);
  expect(r.status).toBe(200);
  return r.body.members.find((m: { member_id: string }) => m.member_id === cloud.projects.consumer)?.status;
}

describe("examples/producer and examples/consumer under the engine emulator", () => {
  let cloud: TestCloud;
  let image: string;
  let producerDir: ProgramDir;
  let consumerDir: ProgramDir;
  let producer: Engine;
  let consumer: Engine;

  beforeAll(async () => {
    cloud = testCloud();
    [image, producerDir, consumerDir] = await Promise.all([
      createImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "examples-test" }),
      createProgramDir(projectPackage(), { copyFrom: path.join(REPO_ROOT, "examples", "producer"), label: "example-producer" }),
      createProgramDir(projectPackage(), { copyFrom: path.join(REPO_ROOT, "examples", "consumer"), label: "example-consumer" }),
    ]);
    const env = { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile };
    const p = projectOf("producer");
    const c = projectOf("consumer");
    producer = new Engine({
      programDir: producerDir,
      project: p,
      env,
      // pulumi config set cloud producer; pulumi config set --path 'shares[0].imageId' …; … 'shares[0].projectIds[0]' …
      config: { [`${p}:cloud`]: "producer", [`${p}:shares`]: JSON.stringify([{ imageId: image, projectIds: [cloud.projects.consumer] }]) },
    });
    consumer = new Engine({
      programDir: consumerDir,
      project: c,
      env,
      config: { [`${c}:cloud`]: "consumer", [`${c}:images`]: JSON.stringify([{ imageId: image, name: "golden" }]) },
    });
  });

  afterAll(async () => {
    producerDir?.remove();
    consumerDir?.remove();
    if (image) await deleteImage(cloud.cloudsFile, "producer", image);
  });

  it("the producer shares, the consumer accepts and sees the image; both drift checks pass; destroy undoes both", async () => {
    const up1 = await producer.up(program);
    expect(changed(up1)).toEqual([
      `create pulumi:pulumi:Stack ${producer.project}-dev`,
      `create image-members:index:ImageShare share-${image}`,
      `create ${MEMBER} share-${image}-${cloud.projects.consumer}`,
    ]);
    expect(up1.outputs).toEqual({ sharedWith: { [image]: [cloud.projects.consumer] } });
    expect(await memberStatus(cloud, "producer", image)).toBe("pending");

    const up2 = await consumer.up(program);
    expect(changed(up2)).toEqual([`create pulumi:pulumi:Stack ${consumer.project}-dev`, `create ${ACCEPTANCE} accept-golden`]);
    expect(up2.outputs).toEqual({ accepted: [image], statuses: { [image]: "accepted" } });
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).toContain(image);

    for (const eng of [producer, consumer]) {
      const check = await eng.preview(program, { refresh: true, expectNoChanges: true });
      expect(check.exitCode).toBe(0);
      expect(check.hasChanges).toBe(false);
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
    expect(down1.summary).toEqual({ delete: 3 });
    expect(await memberStatus(cloud, "producer", image)).toBeUndefined();
    expect(producer.readState().resources).toEqual([]);
    expect(consumer.readState().resources).toEqual([]);
  }, 300_000);

  it("a status in the consumer's config is applied, and exported as not accepted", async () => {
    const c = consumer.project;
    await producer.up(program);
    const eng = new Engine({
      programDir: consumerDir,
      project: c,
      stack: "declines",
      env: consumer.env,
      config: { [`${c}:cloud`]: "consumer", [`${c}:images`]: JSON.stringify([{ imageId: image, status: "rejected" }]) },
    });
    const up = await eng.up(program);
    expect(changed(up)).toContain(`create ${ACCEPTANCE} accept-${image}`);
    expect(up.outputs).toEqual({ accepted: [], statuses: { [image]: "rejected" } });
    expect(await memberStatus(cloud, "producer", image)).toBe("rejected");
    await eng.preview(program, { refresh: true, expectNoChanges: true });
    await eng.destroy();
    await producer.destroy();
  }, 300_000);

  it("config mistakes stop the program with a message naming the key", async () => {
    const p = producer.project;
    const c = consumer.project;
    const missing = await new Engine({ programDir: producerDir, project: p, stack: "empty", env: producer.env }).preview(program, { allowFailure: true });
    expect(missing.exitCode).toBe(1);
    expect(missing.message).toContain(`Missing required configuration variable '${p}:shares'`);

    const bad = await new Engine({
      programDir: consumerDir,
      project: c,
      stack: "bad",
      env: consumer.env,
      config: { [`${c}:images`]: JSON.stringify([{ image: "typo" }]) },
    }).preview(program, { allowFailure: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.message).toContain(`config ${c}:images[0] needs imageId`);
  }, 120_000);
});
