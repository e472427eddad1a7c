import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMemberRaw, deleteMemberRaw, getMemberRaw, listImages, listMembersRaw, setMemberStatusRaw } from "../../dev/harness/images";
import type { Program } from "../../dev/harness/pulumi";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { changes, expectNoSecrets, newStack, type Pkg, type TestStack } from "./support";

/**
 * A producer stack and a consumer stack, through the real plugin host, against the real Glance:
 * sharing, accepting, drift of each kind and its repair, destroy. Every step where nothing should
 * change ends with both drift checks (preview --refresh and refresh --preview-only, expect-no-changes).
 */
const cloud = testCloud();
const env = { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile };
const C = cloud.projects.consumer;

describe("a producer shares an image and a consumer accepts it", () => {
  let image: string;
  let producer: TestStack;
  let consumer: TestStack;
  // the producer names its cloud in stack config, the consumer on the resource
  const producerProgram: Program<Pkg> = (pkg) => {
    const share = new pkg.ImageMember("golden-for-consumer", { imageId: image, memberId: C });
    return { memberId: share.memberId, status: share.status };
  };
  let consumerStatus: "accepted" | "rejected" = "accepted";
  const consumerProgram: Program<Pkg> = (pkg) => {
    const answer = new pkg.MemberAcceptance("golden", { imageId: image, status: consumerStatus, cloud: "consumer" });
    return { status: answer.status, memberId: answer.memberId };
  };
  const glanceStatus = async () => (await getMemberRaw(cloud.cloudsFile, "producer", image, C)).body?.status as string | undefined;

  beforeAll(async () => {
    image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "golden" });
    [producer, consumer] = await Promise.all([
      newStack("lifecycle-producer", { "openstack:cloud": "producer" }, env),
      newStack("lifecycle-consumer", {}, env),
    ]);
  });
  afterAll(async () => {
    await Promise.all([producer?.remove(), consumer?.remove()]);
  });

  it("the producer's up shares the image; nothing to report afterwards", async () => {
    const r = await producer.up(producerProgram);
    expect(changes(r)).toEqual(["create:test-project-dev", "create:golden-for-consumer"]);
    expect(r.outputs).toEqual({ memberId: C }); // status is not tracked for the producer
    expect(await glanceStatus()).toBe("pending");
    expect(producer.eng.resource("golden-for-consumer")!.id).toBe(`${image}/${C}`);
    await producer.expectNoDrift(producerProgram);
  });

  it("the consumer's up accepts it for its own project, and the image appears in its list", async () => {
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).not.toContain(image);
    const r = await consumer.up(consumerProgram);
    expect(r.outputs).toEqual({ status: "accepted", memberId: C });
    expect(await glanceStatus()).toBe("accepted");
    expect((await listImages(cloud.cloudsFile, "consumer")).map((i) => i.id)).toContain(image);
    await consumer.expectNoDrift(consumerProgram);
  });

  it("the consumer accepting or rejecting is not drift for the producer", async () => {
    await producer.expectNoDrift(producerProgram);
    await setMemberStatusRaw(cloud.cloudsFile, "consumer", image, C, "rejected");
    await producer.expectNoDrift(producerProgram);
  });

  it("a status changed behind the consumer stack's back fails its checks, naming the resource; up --refresh restores it", async () => {
    // (rejected by hand in the previous test)
    const drift = await consumer.expectDrift(consumerProgram);
    expect(changes(drift)).toEqual(["update:golden"]);
    // the closing error only says changes were proposed; the preview names the resource and the property
    expect(drift.message).toContain("no changes were expected for preview but changes were proposed");
    expect(drift.output).toMatch(/dynamic\/glance:MemberAcceptance golden update \[diff: [~+-]status\]/);
    const refresh = await consumer.eng.refresh({ previewOnly: true, expectNoChanges: true, allowFailure: true });
    expect(refresh.exitCode).toBe(7);
    expect(changes(refresh)).toEqual(["refresh-update:golden"]);
    // a plain up diffs against the stored state and does not see it
    expect(changes(await consumer.up(consumerProgram))).toEqual([]);
    expect(await glanceStatus()).toBe("rejected");
    const repair = await consumer.up(consumerProgram, { refresh: true });
    expect(changes(repair)).toEqual(["update:golden"]);
    expect(await glanceStatus()).toBe("accepted");
    await consumer.expectNoDrift(consumerProgram);
  });

  it("a share removed behind the producer's back fails its checks; up --refresh re-creates it; the consumer's refresh drops its acceptance", async () => {
    expect((await deleteMemberRaw(cloud.cloudsFile, "producer", image, C)).status).toBe(204);
    const drift = await producer.expectDrift(producerProgram);
    expect(changes(drift)).toEqual(["create:golden-for-consumer"]);
    const refresh = await producer.eng.refresh({ previewOnly: true, expectNoChanges: true, allowFailure: true });
    expect(changes(refresh)).toEqual(["refresh-delete:golden-for-consumer"]);

    // the consumer sees its share gone
    await consumer.expectDrift(consumerProgram);
    await consumer.eng.refresh();
    expect(consumer.eng.resource("golden")).toBeUndefined();

    const repair = await producer.up(producerProgram, { refresh: true });
    expect(changes(repair)).toEqual(["create:golden-for-consumer"]);
    expect(await glanceStatus()).toBe("pending");
    await producer.expectNoDrift(producerProgram);

    expect(changes(await consumer.up(consumerProgram))).toEqual(["create:golden"]);
    expect(await glanceStatus()).toBe("accepted");
    await consumer.expectNoDrift(consumerProgram);
  });

  it("changing the consumer's status updates it in place", async () => {
    consumerStatus = "rejected";
    const r = await consumer.up(consumerProgram);
    expect(changes(r)).toEqual(["update:golden"]);
    expect(await glanceStatus()).toBe("rejected");
    await consumer.expectNoDrift(consumerProgram);
    consumerStatus = "accepted";
    expect(changes(await consumer.up(consumerProgram))).toEqual(["update:golden"]);
  });

  it("destroy leaves the consumer's membership rejected and removes the producer's members", async () => {
    await consumer.destroy();
    expect(await glanceStatus()).toBe("rejected");
    await producer.destroy();
    expect((await listMembersRaw(cloud.cloudsFile, "producer", image)).body.members).toEqual([]);
    expect(producer.eng.readState().resources.filter((r) => r.type.includes("glance"))).toEqual([]);
  });

  it("no password appears in either stack's state or in anything the plugin printed", async () => {
    await expectNoSecrets(producer, cloud.secrets);
    await expectNoSecrets(consumer, cloud.secrets);
  });
});

describe("taking over, replacing and destroying", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await newStack("lifecycle-adopt", { "openstack:cloud": "producer" }, env);
  });
  afterAll(() => stack?.remove());

  it("a membership made by hand that the consumer answered fails the create with a message naming adoptExisting; with it, the stack takes it over", async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    await addMemberRaw(cloud.cloudsFile, "producer", image, C);
    await setMemberStatusRaw(cloud.cloudsFile, "consumer", image, C, "accepted");
    const program =
      (adoptExisting?: boolean): Program<Pkg> =>
      (pkg) => {
        new pkg.ImageMember("by-hand", { imageId: image, memberId: C, adoptExisting });
      };
    const refused = await stack.eng.up(program(), { allowFailure: true });
    expect(refused.exitCode).toBe(1);
    expect(refused.message).toMatch(
      /already shared with project .* \(a membership this stack did not create, accepted since .*\) — set adoptExisting: true on this ImageMember/,
    );
    expect(stack.eng.resource("by-hand")).toBeUndefined();

    expect(changes(await stack.up(program(true)))).toEqual(["create:by-hand"]);
    expect((await getMemberRaw(cloud.cloudsFile, "producer", image, C)).body.status).toBe("accepted");
    // adoptExisting matters only at create: dropping it later changes nothing
    expect(changes(await stack.up(program()))).toEqual([]);
    await stack.expectNoDrift(program());
    await stack.destroy();
  });

  it("a membership nobody answered (what a killed up leaves) is taken over with a warning; adoptExisting: false refuses it", async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    await addMemberRaw(cloud.cloudsFile, "producer", image, C);
    const program =
      (adoptExisting?: boolean): Program<Pkg> =>
      (pkg) => {
        new pkg.ImageMember("unanswered", { imageId: image, memberId: C, adoptExisting });
      };
    const refused = await stack.eng.up(program(false), { allowFailure: true });
    expect(refused.exitCode).toBe(1);
    expect(refused.message).toMatch(
      /already shared with project .* \(a membership this stack did not create, pending since .*\) — set adoptExisting: true/,
    );

    const taken = await stack.up(program());
    expect(changes(taken)).toEqual(["create:unanswered"]);
    expect(taken.output).toMatch(
      new RegExp(`warning: .*ImageMember: took over the membership of project ${C} in image ${image}, created .* and never answered`),
    );
    await stack.expectNoDrift(program());
    await stack.destroy();
    expect((await listMembersRaw(cloud.cloudsFile, "producer", image)).body.members).toEqual([]);
  });

  it("changing memberId replaces the member; ImageShare is one resource for the set", async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    const members = async () =>
      ((await listMembersRaw(cloud.cloudsFile, "producer", image)).body.members as { member_id: string }[]).map((m) => m.member_id).sort();
    let memberId = C;
    const program: Program<Pkg> = (pkg) => {
      new pkg.ImageMember("one", { imageId: image, memberId });
      const share = new pkg.ImageShare("team", { imageId: image, memberIds: ["p-1", "p-2"] });
      return { team: share.memberIds, listed: pkg.getImageMembersOutput({ imageId: image, cloud: "producer" }).apply((ms) => ms.length) };
    };
    const first = await stack.up(program);
    expect(changes(first).sort()).toEqual(["create:one", "create:team", "create:test-project-dev"]);
    expect(stack.eng.resource("team")!.urn).toBe(stack.eng.urn("pulumi-nodejs:dynamic/glance:ImageShare", "team"));
    expect(first.outputs.team).toEqual(["p-1", "p-2"]);
    expect(await members()).toEqual([C, "p-1", "p-2"].sort());
    await stack.expectNoDrift(program);

    memberId = cloud.projects.outsider;
    const replaced = await stack.up(program);
    expect(changes(replaced)).toEqual(["replace:one"]);
    expect(replaced.steps.find((s) => s.name === "one")!.replaceKeys).toEqual(["memberId"]);
    expect(await members()).toEqual([cloud.projects.outsider, "p-1", "p-2"].sort());
    await stack.expectNoDrift(program);
    await stack.destroy();
    expect(await members()).toEqual([]);
  });

  it("a consumer's destroy can leave its membership pending", async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    await addMemberRaw(cloud.cloudsFile, "producer", image, C);
    const program: Program<Pkg> = (pkg) => {
      new pkg.MemberAcceptance("answer", { imageId: image, cloud: "consumer", statusOnDelete: "pending" });
    };
    await stack.up(program);
    expect((await getMemberRaw(cloud.cloudsFile, "consumer", image, C)).body.status).toBe("accepted");
    await stack.destroy();
    expect((await getMemberRaw(cloud.cloudsFile, "consumer", image, C)).body.status).toBe("pending");
    await expectNoSecrets(stack, cloud.secrets);
  });
});
