import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenStack, startOpenStack } from "../../dev/harness/openstack";
import { openImageService } from "../../sdk/image-service";
import { requireLocalInstance } from "../support/cloud";
import { createTestImage } from "../support/images";
import { checkOperationTable } from "./operation-table";

/**
 * The SDK against instances with other server settings than the suite's: legacy policies with a
 * member quota of 3 (and a Glance restart), and tokens that live five seconds.
 */

describe("under legacy policies, with a member quota of 3", () => {
  let os: OpenStack;
  const env = () => ({ ...process.env, OS_CLIENT_CONFIG_FILE: os.cloudsFile });
  beforeAll(async () => {
    requireLocalInstance("the legacy-policy and member-quota tests");
    os = await startOpenStack({ policy: "legacy", memberQuota: 3 });
  });
  afterAll(() => os?.stop());

  it("the operation table holds as it does under secure RBAC", async () => {
    await checkOperationTable(os.cloudsFile, os.projects);
  });

  it("the member quota is reported with a hint naming it", async () => {
    const producer = await openImageService({ cloud: "producer" }, { env: env() });
    const image = await createTestImage(os.cloudsFile, "producer", { visibility: "shared" });
    for (const m of ["m1", "m2", "m3"]) await producer.createMember(image, m);
    await expect(producer.createMember(image, "m4")).rejects.toMatchObject({
      code: "ERR_MEMBER_QUOTA",
      status: 413,
      hint: expect.stringContaining("member quota (image_member_quota"),
    });
    await producer.deleteMember(image, "m1");
    await expect(producer.createMember(image, "m4")).resolves.toMatchObject({ memberId: "m4" });
  });

  it("a Glance restart between two calls goes unnoticed", async () => {
    const producer = await openImageService({ cloud: "producer" }, { env: env() });
    const image = await createTestImage(os.cloudsFile, "producer", { visibility: "shared" });
    await producer.createMember(image, "before-restart");
    await os.restart("glance");
    // the kept-alive connection is dead now: the retry opens a new one
    await producer.createMember(image, "after-restart");
    expect((await producer.listMembers(image)).map((m) => m.memberId).sort()).toEqual(["after-restart", "before-restart"]);
  });
});

describe("with tokens that live five seconds and Glance checking every token", () => {
  let os: OpenStack;
  beforeAll(async () => {
    requireLocalInstance("the token expiry test");
    os = await startOpenStack({ tokenLifetimeSeconds: 5, tokenCacheSeconds: -1 });
  });
  afterAll(() => os?.stop());

  it("a token that expires during a run is renewed without the caller noticing", async () => {
    let tokenRequests = 0;
    const producer = await openImageService(
      { cloud: "producer" },
      {
        env: { ...process.env, OS_CLIENT_CONFIG_FILE: os.cloudsFile },
        onAttempt: (a) => {
          if (a.url.endsWith("/auth/tokens")) tokenRequests++;
        },
      },
    );
    const image = await createTestImage(os.cloudsFile, "producer", { visibility: "shared" });
    const started = Date.now();
    for (let i = 0; Date.now() - started < 12_000; i++) {
      await producer.createMember(image, `member-${i}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(tokenRequests).toBeGreaterThanOrEqual(3);
    expect((await producer.listMembers(image)).length).toBeGreaterThan(10);
  });
});
