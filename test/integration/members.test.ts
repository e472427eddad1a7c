import { describe, expect, it } from "vitest";
import { listImages, projectToken } from "../../dev/harness/images";
import { isHttpError, isImageMembersError } from "../../sdk/errors";
import { type OpenOptions, openImageService } from "../../sdk/image-service";
import type { ImageService, MemberStatus } from "../../sdk/types";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { checkOperationTable } from "./operation-table";

/** The SDK against the suite's real Keystone + Glance (secure RBAC with scope enforcement by default). */
const cloud = testCloud();
const open = (name: string, onAttempt?: OpenOptions["onAttempt"]) => openImageService({ cloud: name }, onAttempt ? { onAttempt } : {});
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );

async function sharedImage(): Promise<string> {
  return createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
}

describe("the SDK against the real Glance", () => {
  it("follows the operation table as producer and as consumer", async () => {
    await checkOperationTable(cloud.cloudsFile, cloud.projects);
  });

  it("an accepted image appears in the consumer's image list; a pending one does not", async () => {
    const [producer, consumer] = await Promise.all([open("producer"), open("consumer")]);
    const image = await sharedImage();
    await producer.createMember(image, consumer.projectId);
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).not.toContain(image);
    await consumer.updateMemberStatus(image, consumer.projectId, "accepted");
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).toContain(image);
  });

  it("a duplicate member is a conflict whose hint says it is already a member", async () => {
    const producer = await open("producer");
    const image = await sharedImage();
    await producer.createMember(image, cloud.projects.consumer);
    const e = await errorOf(producer.createMember(image, cloud.projects.consumer));
    expect(e).toMatchObject({
      code: "ERR_ALREADY_SHARED",
      status: 409,
      requestId: expect.stringMatching(/^req-/),
      hint: expect.stringContaining("already a member"),
    });
  });

  it("sharing a private image fails with a hint naming visibility shared", async () => {
    const producer = await open("producer");
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "private" });
    const e = await errorOf(producer.createMember(image, cloud.projects.consumer));
    expect(e).toMatchObject({
      code: "ERR_FORBIDDEN",
      status: 403,
      hint: expect.stringContaining(`has visibility "private": only images with visibility "shared" have members`),
    });
  });

  it("a consumer adding a member is refused with a hint about ownership", async () => {
    const [producer, consumer] = await Promise.all([open("producer"), open("consumer")]);
    const image = await sharedImage();
    await producer.createMember(image, consumer.projectId);
    const e = await errorOf(consumer.createMember(image, cloud.projects.outsider));
    expect(e).toMatchObject({
      status: 403,
      hint: expect.stringMatching(/owned by project .*, not by this credential's project|visibility "shared"/),
    });
  });

  it("the producer setting a status is refused with a hint that only the member may", async () => {
    const producer = await open("producer");
    const image = await sharedImage();
    await producer.createMember(image, cloud.projects.consumer);
    const e = await errorOf(producer.updateMemberStatus(image, cloud.projects.consumer, "accepted"));
    expect(e).toMatchObject({ status: 403, hint: expect.stringContaining("only the member project itself") });
  });

  it("ACCEPTED is refused before any request is sent", async () => {
    let attempts = 0;
    const consumer = await open("consumer", () => {
      attempts++;
    });
    const before = attempts;
    const e = await errorOf(consumer.updateMemberStatus("any-image", consumer.projectId, "ACCEPTED" as MemberStatus));
    expect(e).toMatchObject({ code: "ERR_VALIDATION", message: expect.stringContaining('did you mean "accepted"?') });
    expect(attempts).toBe(before);
  });

  it("a nonexistent image is a 404 saying it does not exist or is not visible", async () => {
    const producer = await open("producer");
    const e = await errorOf(producer.createMember("00000000-0000-0000-0000-000000000000", cloud.projects.consumer));
    expect(e).toMatchObject({
      code: "ERR_IMAGE_NOT_FOUND",
      status: 404,
      hint: expect.stringContaining("does not exist or is not visible"),
    });
  });

  it("a consumer accepting a share that does not exist yet is told the owner must add it", async () => {
    const consumer = await open("consumer");
    const image = await sharedImage();
    const e = await errorOf(consumer.updateMemberStatus(image, consumer.projectId, "accepted"));
    expect(e).toMatchObject({
      code: "ERR_NOT_SHARED",
      status: 404,
      hint: expect.stringContaining("the image owner must add it as a member first"),
    });
  });

  it("an outsider sees neither the image nor its members", async () => {
    const [producer, outsider] = await Promise.all([open("producer"), open("outsider")]);
    const image = await sharedImage();
    await producer.createMember(image, cloud.projects.consumer);
    const calls: [() => Promise<unknown>, string][] = [
      [() => outsider.getImage(image), "ERR_IMAGE_NOT_FOUND"],
      [() => outsider.listMembers(image), "ERR_IMAGE_NOT_FOUND"],
      [() => outsider.getMember(image, cloud.projects.consumer), "ERR_NOT_SHARED"],
      [() => outsider.updateMemberStatus(image, outsider.projectId, "accepted"), "ERR_NOT_SHARED"],
    ];
    for (const [call, code] of calls) {
      const e = await errorOf(call());
      expect(isHttpError(e, 404)).toBe(true);
      expect(e).toMatchObject({ code });
    }
  });

  it("numeric member ids come back as strings", async () => {
    const producer = await open("producer");
    const image = await sharedImage();
    expect((await producer.createMember(image, "12345")).memberId).toBe("12345");
  });

  it("no error carries the password or a token", async () => {
    const producer = await open("producer");
    const errors: unknown[] = [];
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "private" });
    errors.push(await errorOf(producer.createMember(image, cloud.projects.consumer)));
    errors.push(await errorOf(producer.updateMemberStatus(image, cloud.projects.consumer, "accepted")));
    errors.push(await errorOf(openImageService({ cloud: "producer", password: "wrong-password" })));
    errors.push(await errorOf(openImageService({ cloud: "producer", region: "Atlantis" })));
    expect(errors.every(isImageMembersError)).toBe(true);
    const tokens = [await projectToken(cloud.cloudsFile, "producer")];
    for (const e of errors) {
      const text = `${String(e)}\n${(e as Error).stack}\n${JSON.stringify(e)}`;
      for (const secret of [...cloud.secrets, ...tokens]) expect(text).not.toContain(secret);
    }
    expect(cloud.secrets.length).toBeGreaterThan(0);
  });
});

export type { ImageService };
