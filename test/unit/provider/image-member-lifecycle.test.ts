import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect } from "vitest";
import { resetCommand } from "../../../provider/command-cache";
import { imageMemberProvider as p } from "../../../provider/image-member-lifecycle";
import { configure } from "../../../provider/stack-config";
import { CONSUMER, IMAGE } from "../support/fake-fixture";
import { newCommand, test } from "../support/provider-fixture";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const PROVIDER = "exports.handler = () => ({})";
const members = /\/members$/;

describe("ImageMember check", () => {
  test("names each bad property and its fix, before any request", async ({ fake }) => {
    const r = await p.check({} as never, { imageId: "", memberId: "a/b", status: "ACCEPTED", adoptExisting: "yes", imageID: "x" } as never);
    expect(r.failures!.map((f) => f.property)).toEqual(["imageID", "imageId", "memberId", "status", "adoptExisting"]);
    expect(r.failures!.map((f) => f.reason)).toEqual([
      "is not a property of ImageMember; did you mean imageId?",
      "must not be empty: give the id of an image your project owns, with visibility shared",
      '"a/b" must not contain "/": give the id of the project to share the image with',
      '"ACCEPTED" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "accepted"? (status is for admins who force a member\'s status; leave it unset to let the member decide)',
      'must be true or false, not "yes"',
    ]);
    expect(fake.requests).toEqual([]);
  });

  test("lets values unknown during preview through", async () => {
    const r = await p.check({} as never, { imageId: UNKNOWN, memberId: UNKNOWN, __provider: PROVIDER } as never);
    expect(r.failures).toBeUndefined();
  });

  test("requires imageId and memberId", async () => {
    const r = await p.check({} as never, {} as never);
    expect(r.failures!.map((f) => f.reason)).toEqual([
      "is required: give the id of an image your project owns, with visibility shared",
      "is required: give the id of the project to share the image with",
    ]);
  });
});

describe("ImageMember diff", () => {
  const olds = { imageId: IMAGE, memberId: CONSUMER, createdAt: "t", region: "RegionOne", cloud: "producer" };

  test("is a boolean no-change when nothing asked for differs; unset region and cloud equal the resolved ones", async () => {
    expect(await p.diff("id", olds, { imageId: IMAGE, memberId: CONSUMER })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await p.diff("id", olds, { imageId: IMAGE, memberId: CONSUMER, region: "RegionOne", cloud: "producer" })).changes).toBe(false);
  });

  test("replaces on imageId, memberId or region", async () => {
    expect(await p.diff("id", olds, { imageId: "other", memberId: "m2", region: "RegionTwo" })).toMatchObject({
      changes: true,
      replaces: ["imageId", "memberId", "region"],
    });
  });

  test("updates in place for cloud, and for a pinned status only", async () => {
    expect(await p.diff("id", olds, { imageId: IMAGE, memberId: CONSUMER, cloud: "admin" })).toMatchObject({ changes: true, replaces: [] });
    expect(await p.diff("id", { ...olds, status: "pending" }, { imageId: IMAGE, memberId: CONSUMER, status: "accepted" })).toMatchObject({
      changes: true,
      replaces: [],
    });
    // the consumer's own decision: not tracked, not drift
    expect((await p.diff("id", olds, { imageId: IMAGE, memberId: CONSUMER })).changes).toBe(false);
  });

  test("ignores adoptExisting, which matters only at create", async () => {
    expect((await p.diff("id", olds, { imageId: IMAGE, memberId: CONSUMER, adoptExisting: true })).changes).toBe(false);
  });
});

describe("ImageMember create, read, update, delete", () => {
  test("create shares the image and outputs the resolved region, without a status", async ({ fake }) => {
    fake.addImage(IMAGE);
    const r = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    expect(r.id).toBe(`${IMAGE}/${CONSUMER}`);
    expect(r.outs).toEqual({ imageId: IMAGE, memberId: CONSUMER, createdAt: expect.any(String), region: "RegionOne" });
    expect(fake.members.get(IMAGE)).toHaveLength(1);
  });

  test("create of a membership the consumer has answered fails naming adoptExisting", async ({ fake }) => {
    fake.addImage(IMAGE);
    await p.create({ imageId: IMAGE, memberId: CONSUMER });
    Object.assign(fake.members.get(IMAGE)![0]!, { status: "accepted", updated_at: "2026-12-01T10:00:00Z" });
    const error = await p.create({ imageId: IMAGE, memberId: CONSUMER }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /image .* is already shared with project .* \(a membership this stack did not create, accepted since 2026-12-01T10:00:00Z\) — set adoptExisting: true on this ImageMember/,
    );
    expect(error).toMatchObject({ code: "ERR_ALREADY_SHARED", status: 409, method: "POST", requestId: expect.stringMatching(/^req-/) });
  });

  test("create of a membership nobody has answered takes it over, unless adoptExisting is false", async ({ fake }) => {
    fake.addImage(IMAGE);
    const first = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    await expect(p.create({ imageId: IMAGE, memberId: CONSUMER, adoptExisting: false })).rejects.toThrow(
      /\(a membership this stack did not create, pending since .*\) — set adoptExisting: true/,
    );
    expect(await p.create({ imageId: IMAGE, memberId: CONSUMER })).toEqual(first);
    expect(fake.members.get(IMAGE)).toHaveLength(1);
  });

  test("adoptExisting takes over a membership that exists", async ({ fake }) => {
    fake.addImage(IMAGE);
    const first = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    const adopted = await p.create({ imageId: IMAGE, memberId: CONSUMER, adoptExisting: true });
    expect(adopted).toEqual(first);
  });

  test("a pinned status that cannot be set reports the half-done create with its id", async ({ fake }) => {
    fake.addImage(IMAGE);
    fake.on("PUT", /members\//, () => ({ status: 403, body: { message: "You are not authorized to complete modify_member action." } }));
    const error = (await p
      .create({ imageId: IMAGE, memberId: CONSUMER, status: "accepted", __provider: PROVIDER } as never)
      .catch((e: unknown) => e)) as Error & { id: string; properties: Record<string, unknown>; reasons: string[] };
    expect(error.id).toBe(`${IMAGE}/${CONSUMER}`);
    expect(error.properties).toMatchObject({ imageId: IMAGE, memberId: CONSUMER, status: "pending", __provider: PROVIDER });
    expect(error.message).toMatch(/^created .*, but could not finish: PUT .* failed with 403.* only the member project itself/);
    // the CLI prints the reasons (not the message): they must say the member was created
    expect(error.reasons).toEqual([error.message]);
    expect(fake.members.get(IMAGE)).toHaveLength(1);
  });

  test("refreshing N members of one image costs one list request", async ({ fake }) => {
    fake.addImage(IMAGE);
    const outs = [];
    for (let i = 0; i < 20; i++) outs.push((await p.create({ imageId: IMAGE, memberId: `project-${i}` })).outs);
    const before = fake.count("GET", members);
    const reads = await Promise.all(outs.map((o) => p.read(`${o.imageId}/${o.memberId}`, o)));
    expect(reads.map((r) => r.props)).toEqual(outs);
    expect(fake.count("GET", members) - before).toBe(1);
    expect(fake.count("GET", /members\//)).toBe(0);
  });

  test("read returns exactly the stored outputs, and inputs, when nothing changed; the consumer's status is not tracked", async ({
    fake,
  }) => {
    fake.addImage(IMAGE);
    const { id, outs } = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    fake.members.get(IMAGE)![0]!.status = "accepted";
    const r = await p.read(id, outs);
    expect(r).toEqual({ id, props: outs, inputs: { imageId: IMAGE, memberId: CONSUMER } });
  });

  test("read of a bare id (a pending create that `pulumi refresh --import-pending-creates` imports) finds the membership the id names", async ({
    fake,
  }) => {
    fake.addImage(IMAGE);
    const { id, outs } = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    newCommand();
    const r = await p.read(id, {} as never);
    expect(r.id).toBe(id);
    expect(r.inputs).toEqual({ imageId: IMAGE, memberId: CONSUMER });
    expect(r.props).toMatchObject({ imageId: IMAGE, memberId: CONSUMER, createdAt: outs.createdAt });
    // a pending create whose POST never reached Glance: gone, so the next up creates it
    newCommand();
    expect(await p.read(`${IMAGE}/never-created`, {} as never)).toEqual({});
  });

  test("read reports a removed share, or a deleted image, as gone", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { id, outs } = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    fake.members.set(IMAGE, []);
    newCommand();
    expect(await p.read(id, outs)).toEqual({});
    fake.images.delete(IMAGE);
    fake.members.delete(IMAGE);
    newCommand();
    expect(await p.read(id, outs)).toEqual({});
  });

  test("a write to an image makes the next read ask Glance again", async ({ fake }) => {
    fake.addImage(IMAGE);
    const a = await p.create({ imageId: IMAGE, memberId: "a" });
    await p.read(`${IMAGE}/a`, a.outs);
    await p.create({ imageId: IMAGE, memberId: "b" });
    await p.read(`${IMAGE}/a`, a.outs);
    expect(fake.count("GET", members)).toBe(2);
  });

  test("delete removes the member, and a missing member or image is success", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { id, outs } = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    await p.delete(id, outs);
    expect(fake.members.get(IMAGE)).toEqual([]);
    await expect(p.delete(id, outs)).resolves.toBeUndefined();
    fake.images.delete(IMAGE);
    fake.members.delete(IMAGE);
    await expect(p.delete(id, outs)).resolves.toBeUndefined();
  });

  test("update sets a pinned status", async ({ fake }) => {
    fake.addImage(IMAGE);
    const { id, outs } = await p.create({ imageId: IMAGE, memberId: CONSUMER });
    const r = await p.update(id, outs, { imageId: IMAGE, memberId: CONSUMER, status: "rejected" });
    expect(r.outs).toMatchObject({ status: "rejected" });
    expect(fake.members.get(IMAGE)![0]!.status).toBe("rejected");
  });
});

describe("ImageMember credentials", () => {
  test("refresh and destroy act with the credentials create used: openstack:cloud with overrides from stack config", async ({ fake }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-override-"));
    const file = path.join(dir, "clouds.yaml");
    // the entry has no password: the stack config supplies it (as `pulumi config set --secret`)
    fs.writeFileSync(
      file,
      `clouds:\n  base:\n    auth:\n      auth_url: ${fake.authUrl}\n      username: u\n      user_domain_id: default\n      project_id: p\n`,
    );
    const saved = { file: process.env.OS_CLIENT_CONFIG_FILE, cloud: process.env.OS_CLOUD };
    process.env.OS_CLIENT_CONFIG_FILE = file;
    process.env.OS_CLOUD = "some-other-entry"; // must not be used: the stack config is the auth source
    const config: Record<string, string> = { "openstack:cloud": "base", "openstack:password": "from-stack-config" };
    const command = () => {
      resetCommand();
      configure({ get: (k: string) => config[k] });
    };
    try {
      fake.addImage(IMAGE);
      command();
      const { id, outs } = await p.create({ imageId: IMAGE, memberId: CONSUMER });
      expect(outs.cloud).toBeUndefined();
      command();
      expect((await p.read(id, outs)).props).toEqual(outs);
      command();
      await p.delete(id, outs);
      expect(fake.members.get(IMAGE)).toEqual([]);
    } finally {
      process.env.OS_CLIENT_CONFIG_FILE = saved.file;
      if (saved.cloud === undefined) delete process.env.OS_CLOUD;
      else process.env.OS_CLOUD = saved.cloud;
      if (saved.file === undefined) delete process.env.OS_CLIENT_CONFIG_FILE;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
