import { expect } from "vitest";
import { isHttpError } from "../../sdk/errors";
import { openImageService } from "../../sdk/image-service";
import type { ImageService } from "../../sdk/types";
import { createTestImage } from "../support/images";

/**
 * Glance's member operations, row by row, as the producer and as the consumer, through the SDK
 * against a real Glance: what each side may do, and what it may not (the status only; Glance's
 * wording differs between policy modes, so messages are never matched).
 */
export async function checkOperationTable(cloudsFile: string, projects: { consumer: string; outsider: string }): Promise<void> {
  const env = { ...process.env, OS_CLIENT_CONFIG_FILE: cloudsFile };
  const open = (cloud: string) => openImageService({ cloud }, { env });
  const [producer, consumer] = await Promise.all([open("producer"), open("consumer")]);
  expect(consumer.projectId).toBe(projects.consumer);
  const image = await createTestImage(cloudsFile, "producer", { visibility: "shared" });
  const status = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (e: unknown) => (isHttpError(e) ? e.status : e),
    );
  // add a member: producer yes (200, pending), consumer no (403)
  const added = await producer.createMember(image, projects.consumer);
  expect(added).toMatchObject({ imageId: image, memberId: projects.consumer, status: "pending" });
  expect(await status(consumer.createMember(image, projects.outsider))).toBe(403);

  // list: the producer sees all members, the consumer only its own entry
  await producer.createMember(image, projects.outsider);
  expect((await producer.listMembers(image)).map((m) => m.memberId).sort()).toEqual([projects.consumer, projects.outsider].sort());
  expect((await consumer.listMembers(image)).map((m) => m.memberId)).toEqual([projects.consumer]);

  // show one: the producer any member, the consumer its own (another is 404)
  expect((await producer.getMember(image, projects.outsider)).memberId).toBe(projects.outsider);
  expect((await consumer.getMember(image, projects.consumer)).status).toBe("pending");
  expect(await status(consumer.getMember(image, projects.outsider))).toBe(404);

  // set status: the consumer its own only; the producer no (403)
  expect((await consumer.updateMemberStatus(image, projects.consumer, "accepted")).status).toBe("accepted");
  expect(await status(consumer.updateMemberStatus(image, projects.outsider, "accepted"))).toBe(404);
  expect(await status(producer.updateMemberStatus(image, projects.consumer, "rejected"))).toBe(403);
  expect((await producer.getMember(image, projects.consumer)).status).toBe("accepted");

  // remove: the consumer no (403), the producer yes; a second removal is still a success
  expect(await status(consumer.deleteMember(image, projects.consumer))).toBe(403);
  await producer.deleteMember(image, projects.consumer);
  await producer.deleteMember(image, projects.consumer);
  expect((await producer.listMembers(image)).map((m) => m.memberId)).toEqual([projects.outsider]);
}

export type { ImageService };
