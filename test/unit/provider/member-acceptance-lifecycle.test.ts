import { describe, expect } from "vitest";
import { memberAcceptanceProvider as p } from "../../../provider/member-acceptance-lifecycle";
import { isHttpError } from "../../../sdk/errors";
import { IMAGE } from "../support/fake-fixture";
import { PROJECT_ID } from "../support/fake-openstack";
import { newCommand, test } from "../support/provider-fixture";

const share = (fake: { members: Map<string, unknown[]>; addImage: (id: string) => void }, memberId = PROJECT_ID) => {
  fake.addImage(IMAGE);
  fake.members.get(IMAGE)!.push({
    image_id: IMAGE,
    member_id: memberId,
    status: "pending",
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  });
};

describe("MemberAcceptance check", () => {
  test("fills in the defaults, once, for every later step", async () => {
    expect((await p.check({} as never, { imageId: IMAGE })).inputs).toEqual({
      imageId: IMAGE,
      status: "accepted",
      statusOnDelete: "rejected",
    });
    expect((await p.check({} as never, { imageId: IMAGE, status: "pending", statusOnDelete: "pending" })).inputs).toEqual({
      imageId: IMAGE,
      status: "pending",
      statusOnDelete: "pending",
    });
  });

  test("names each bad property and its fix", async ({ fake }) => {
    const r = await p.check(
      {} as never,
      { imageId: IMAGE, status: "ACCEPTED", statusOnDelete: "deleted", waitForShareSeconds: -1 } as never,
    );
    expect(r.failures!.map((f) => f.reason)).toEqual([
      '"ACCEPTED" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "accepted"?',
      '"deleted" is not allowed: use "rejected" or "pending"',
      "must be a number of seconds from 0 to 3600, not -1",
    ]);
    expect(fake.requests).toEqual([]);
  });
});

describe("MemberAcceptance diff", () => {
  const olds = {
    imageId: IMAGE,
    memberId: PROJECT_ID,
    status: "accepted" as const,
    createdAt: "c",
    updatedAt: "u",
    statusOnDelete: "rejected" as const,
    region: "RegionOne",
  };

  test("an unset status means accepted and an unset memberId the resolved one", async () => {
    expect(await p.diff("id", olds, { imageId: IMAGE })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test("a status changed behind the stack's back is a change, in place", async () => {
    expect(await p.diff("id", { ...olds, status: "rejected" }, { imageId: IMAGE, status: "accepted" })).toMatchObject({
      changes: true,
      replaces: [],
    });
  });

  test("imageId, memberId and region replace; statusOnDelete and cloud update in place", async () => {
    expect(await p.diff("id", olds, { imageId: "x", memberId: "y", region: "R2" })).toMatchObject({
      replaces: ["imageId", "memberId", "region"],
    });
    expect(await p.diff("id", olds, { imageId: IMAGE, statusOnDelete: "pending", cloud: "consumer" })).toMatchObject({
      changes: true,
      replaces: [],
    });
  });
});

describe("MemberAcceptance create, read, update, delete", () => {
  test("create accepts with one request, for the credential's project by default", async ({ fake }) => {
    share(fake);
    const before = fake.requests.length;
    const r = await p.create({ imageId: IMAGE });
    expect(r.id).toBe(`${IMAGE}/${PROJECT_ID}`);
    expect(r.outs).toMatchObject({ memberId: PROJECT_ID, status: "accepted", statusOnDelete: "rejected", region: "RegionOne" });
    expect(
      fake.requests
        .slice(before)
        .filter((q) => q.path.includes("/v2/"))
        .map((q) => q.method),
    ).toEqual(["PUT"]);
  });

  test("create fails at once, clearly, when the image is not shared yet", async ({ fake }) => {
    fake.addImage(IMAGE);
    const error = await p.create({ imageId: IMAGE }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /MemberAcceptance: image .* is not shared with project .* — the producer must add this project as a member first; set waitForShareSeconds to wait for it/,
    );
    expect(error).toMatchObject({ code: "ERR_NOT_SHARED", status: 404, method: "PUT", requestId: expect.stringMatching(/^req-/) });
    expect(isHttpError(error, 404)).toBe(true);
  });

  test("waitForShareSeconds polls until the producer shares the image", async ({ fake }) => {
    fake.addImage(IMAGE);
    setTimeout(() => share(fake), 500);
    const r = await p.create({ imageId: IMAGE, waitForShareSeconds: 10 });
    expect(r.outs.status).toBe("accepted");
    expect(fake.count("PUT", /members\//)).toBe(2);
  });

  test("waitForShareSeconds gives up with a message saying how long it waited", async ({ fake }) => {
    fake.addImage(IMAGE);
    await expect(p.create({ imageId: IMAGE, waitForShareSeconds: 1 })).rejects.toMatchObject({
      code: "ERR_NOT_SHARED",
      status: 404,
      message: expect.stringMatching(/not shared with project .* after waiting 1 s/),
    });
  });

  test("read reports drift in status and mirrors it in the inputs", async ({ fake }) => {
    share(fake);
    const { id, outs } = await p.create({ imageId: IMAGE });
    // the inputs as check() makes them: the defaults filled in, the resolved project left out
    const checked = await p.check({} as never, { imageId: IMAGE });
    expect(checked.inputs).toEqual({ imageId: IMAGE, status: "accepted", statusOnDelete: "rejected" });
    expect(await p.read(id, outs)).toEqual({ id, props: outs, inputs: checked.inputs });
    fake.members.get(IMAGE)![0]!.status = "rejected";
    newCommand();
    const drifted = await p.read(id, outs);
    expect(drifted.props).toMatchObject({ status: "rejected" });
    expect(drifted.inputs).toMatchObject({ status: "rejected" });
    expect((await p.diff(id, drifted.props!, { imageId: IMAGE })).changes).toBe(true);
  });

  test("read reports a removed share as gone", async ({ fake }) => {
    share(fake);
    const { id, outs } = await p.create({ imageId: IMAGE });
    fake.members.set(IMAGE, []);
    newCommand();
    expect(await p.read(id, outs)).toEqual({});
  });

  test("update changes the status in place", async ({ fake }) => {
    share(fake);
    const { id, outs } = await p.create({ imageId: IMAGE });
    const r = await p.update(id, outs, { imageId: IMAGE, status: "pending" });
    expect(r.outs).toMatchObject({ status: "pending" });
  });

  test("delete leaves the membership rejected, or pending when asked, and a removed share is success", async ({ fake }) => {
    share(fake);
    const { id, outs } = await p.create({ imageId: IMAGE });
    await p.delete(id, outs);
    expect(fake.members.get(IMAGE)![0]!.status).toBe("rejected");
    await p.delete(id, { ...outs, statusOnDelete: "pending" });
    expect(fake.members.get(IMAGE)![0]!.status).toBe("pending");
    fake.members.set(IMAGE, []);
    await expect(p.delete(id, outs)).resolves.toBeUndefined();
  });
});
