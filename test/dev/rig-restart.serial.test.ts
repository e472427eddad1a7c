/**
 * The rig's own instances (dev/harness/openstack.ts): server knobs, and `restart` keeping data.
 * A *.serial.test.ts file: it starts its own instance, so it runs alone (test/vitest.config.mts).
 */
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  addMemberRaw,
  forgetSessions,
  getMemberRaw,
  glanceRaw,
  listImages,
  projectToken,
  revokeToken,
  session,
  setMemberStatusRaw,
} from "../../dev/harness/images";
import { type OpenStack, startOpenStack } from "../../dev/harness/openstack";
import { requireLocalInstance } from "../support/cloud";
import { createTestImage } from "../support/images";

describe("an instance of its own", () => {
  let os: OpenStack;
  let file: string;

  beforeAll(async () => {
    requireLocalInstance("restarting OpenStack servers");
    os = await startOpenStack({ memberQuota: 2, tokenCacheSeconds: -1 });
    file = os.cloudsFile;
  });
  afterAll(async () => {
    await os?.stop();
  });

  test("restart glance and restart keystone keep images, members and tokens", async () => {
    const imageId = await createTestImage(file, "producer", { visibility: "shared" });
    expect((await addMemberRaw(file, "producer", imageId, os.projects.consumer)).status).toBe(200);
    expect((await setMemberStatusRaw(file, "consumer", imageId, os.projects.consumer, "accepted")).status).toBe(200);
    const before = (await getMemberRaw(file, "producer", imageId, os.projects.consumer)).body;
    const token = await projectToken(file, "consumer");

    await os.restart("glance");
    const afterGlance = await getMemberRaw(file, "producer", imageId, os.projects.consumer);
    expect(afterGlance.status).toBe(200);
    expect(afterGlance.body).toEqual(before);
    expect((await listImages(file, "consumer")).map((i) => i.id)).toContain(imageId);

    await os.restart("keystone");
    // Fernet keys are on disk: a token issued before the restart is still valid
    expect(await projectToken(file, "consumer")).toBe(token);
    const r = await getMemberRaw(file, "consumer", imageId, os.projects.consumer);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("accepted");
    forgetSessions();
    expect((await session(file, "producer")).projectId).toBe(os.projects.producer);
  });

  test("memberQuota: one member more than the quota gives 413", async () => {
    const imageId = await createTestImage(file, "producer", { visibility: "shared" });
    expect((await addMemberRaw(file, "producer", imageId, os.projects.consumer)).status).toBe(200);
    expect((await addMemberRaw(file, "producer", imageId, os.projects.outsider)).status).toBe(200);
    expect((await addMemberRaw(file, "producer", imageId, os.projects.admin)).status).toBe(413);
  });

  test("tokenCacheSeconds -1: a revoked token fails at glance at once", async () => {
    const token = await projectToken(file, "outsider");
    const s = await session(file, "outsider");
    const get = () => fetch(`${s.imageUrl}/v2/images?limit=1`, { headers: { Accept: "application/json", "X-Auth-Token": token } });
    expect((await get()).status).toBe(200);
    await revokeToken(file, "outsider", token);
    expect((await get()).status).toBe(401);
    // the fixtures recover with a fresh token
    expect((await glanceRaw(file, "outsider", "GET", "/v2/images?limit=1")).status).toBe(200);
  });
});

test("startOpenStack rejects (never skips) when a server cannot start", async () => {
  requireLocalInstance("checking start-up failures");
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    await expect(startOpenStack({ keystonePort: port })).rejects.toThrow(/127\.0\.0\.1:\d+ is in use/);
  } finally {
    blocker.close();
  }
});
