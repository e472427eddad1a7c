/**
 * Smoke test of the suite's OpenStack (test/global-setup.ts): it answers, and the membership
 * workflow works on it with raw requests, before any project code is involved.
 */
import * as fs from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  addMemberRaw,
  getImage,
  glanceRaw,
  listImages,
  listMembersRaw,
  projectToken,
  session,
  setMemberStatusRaw,
} from "../../dev/harness/images";
import { CLOUD_ENTRIES } from "../../dev/harness/openstack";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";

const cloud = testCloud();
const file = cloud.cloudsFile;

describe("the test suite's OpenStack", () => {
  test("this forked worker sees the cloud through OS_CLIENT_CONFIG_FILE and inject()", () => {
    expect(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID).toBeDefined(); // a worker, not the main process
    expect(process.env.OS_CLIENT_CONFIG_FILE).toBe(cloud.cloudsFile);
    const doc = parseYaml(fs.readFileSync(file, "utf8"));
    for (const entry of CLOUD_ENTRIES) expect(doc.clouds[entry]?.auth?.auth_url).toBeTruthy();
    for (const entry of CLOUD_ENTRIES) expect(cloud.projects[entry]).toMatch(/^\S+$/);
    expect(new Set(Object.values(cloud.projects)).size).toBe(CLOUD_ENTRIES.length);
    expect(cloud.secrets.length).toBeGreaterThan(0);
    if (cloud.local) {
      expect(cloud.password).toBeTruthy();
      expect(cloud.secrets).toContain(cloud.password);
      expect(cloud.policy).toBe("scope");
      expect(doc.clouds.producer.auth.password).toBe(cloud.password);
    }
  });

  test("every entry gets a project-scoped token for its own project, with an image endpoint", async () => {
    for (const entry of CLOUD_ENTRIES) {
      const s = await session(file, entry);
      expect(s.projectId).toBe(cloud.projects[entry]);
      expect(s.imageUrl).toMatch(/^https?:\/\//);
      expect(s.expiresAt.getTime()).toBeGreaterThan(Date.now());
    }
    expect(await projectToken(file, "producer")).toBeTruthy();
  });

  test("producer shares an image, consumer accepts it, and it appears in the consumer's list", async () => {
    const imageId = await createTestImage(file, "producer", { visibility: "shared", name: "rig-smoke" });
    expect((await getImage(file, "producer", imageId)).owner).toBe(cloud.projects.producer);

    // not a member yet: the consumer cannot see it, nor list it
    expect((await listImages(file, "consumer")).map((i) => i.id)).not.toContain(imageId);

    const add = await addMemberRaw(file, "producer", imageId, cloud.projects.consumer);
    expect(add.status).toBe(200);
    expect(add.body).toMatchObject({ image_id: imageId, member_id: cloud.projects.consumer, status: "pending" });

    // pending: visible by id, but not in the default list
    expect((await getImage(file, "consumer", imageId)).id).toBe(imageId);
    expect((await listImages(file, "consumer")).map((i) => i.id)).not.toContain(imageId);

    const accept = await setMemberStatusRaw(file, "consumer", imageId, cloud.projects.consumer, "accepted");
    expect(accept.status).toBe(200);
    expect(accept.body.status).toBe("accepted");

    expect((await listImages(file, "consumer")).map((i) => i.id)).toContain(imageId);
    const members = await listMembersRaw(file, "producer", imageId);
    expect(members.status).toBe(200);
    expect(members.body.members).toEqual([expect.objectContaining({ member_id: cloud.projects.consumer, status: "accepted" })]);

    // what the project's code must cope with, checked on this server: no status code text matching
    expect((await addMemberRaw(file, "consumer", imageId, cloud.projects.outsider)).status).toBe(403);
    expect((await setMemberStatusRaw(file, "producer", imageId, cloud.projects.consumer, "rejected")).status).toBe(403);
    expect((await listMembersRaw(file, "outsider", imageId)).status).toBe(404);
  });

  test("error bodies are JSON with Accept: application/json", async () => {
    const r = await setMemberStatusRaw(file, "consumer", "00000000-0000-0000-0000-000000000000", cloud.projects.consumer, "accepted");
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    expect(r.body).toBeTypeOf("object");
  });
});

describe("test images (test/support/images.ts)", () => {
  let forTheFile: string;
  let forOneTest: string;
  const status = async (id: string) => (await glanceRaw(file, "producer", "GET", `/v2/images/${id}`)).status;

  beforeAll(async () => {
    forTheFile = await createTestImage(file, "producer", { visibility: "shared", name: "for-the-file" });
  });

  test("an image made in a test exists during it", async () => {
    forOneTest = await createTestImage(file, "producer", { visibility: "shared", name: "for-one-test" });
    expect(await status(forOneTest)).toBe(200);
  });

  test("is deleted when that test ends; one made in beforeAll stays until the file ends", async () => {
    expect(await status(forOneTest)).toBe(404);
    expect(await status(forTheFile)).toBe(200);
  });
});
