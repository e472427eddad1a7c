import { describe, expect } from "vitest";
import { isHttpError, isImageMembersError, MemberStatus } from "../../../sdk";
import { CONSUMER, IMAGE, PASSWORD, test } from "../support/fake-fixture";

const members = new RegExp(`/v2/images/${IMAGE}/members$`);

describe("member operations", () => {
  test("createMember posts the member id and returns the typed member", async ({ fake, open }) => {
    const glance = await open();
    const m = await glance.createMember(IMAGE, CONSUMER);
    expect(m).toMatchObject({ imageId: IMAGE, memberId: CONSUMER, status: "pending" });
    expect(m.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const post = fake.requests.find((r) => r.method === "POST" && members.test(r.path))!;
    expect(JSON.parse(post.body)).toEqual({ member: CONSUMER });
    expect(post.headers["x-auth-token"]).toBe(fake.tokens[0]);
    expect(post.headers.accept).toBe("application/json");
  });

  test("list, get, update and delete go to the catalog's public endpoint", async ({ fake, open }) => {
    const glance = await open();
    expect(glance.endpoint).toBe(fake.imageUrl("RegionOne", "public"));
    expect(glance.projectId).toBe(fake.projectId);
    await glance.createMember(IMAGE, CONSUMER);
    expect(await glance.listMembers(IMAGE)).toHaveLength(1);
    expect((await glance.updateMemberStatus(IMAGE, CONSUMER, MemberStatus.ACCEPTED)).status).toBe("accepted");
    expect((await glance.getMember(IMAGE, CONSUMER)).status).toBe("accepted");
    await glance.deleteMember(IMAGE, CONSUMER);
    expect(await glance.listMembers(IMAGE)).toEqual([]);
    expect(fake.requests.filter((r) => r.path.includes("/v2/")).every((r) => r.path.startsWith("/image/RegionOne/public/"))).toBe(true);
  });

  test("deleting a member that is not there succeeds", async ({ fake, open }) => {
    const glance = await open();
    await expect(glance.deleteMember(IMAGE, CONSUMER)).resolves.toBeUndefined();
    expect(fake.count("DELETE", /members\//)).toBe(1);
  });

  test("getImage returns the fields sharing depends on", async ({ open }) => {
    const glance = await open();
    expect(await glance.getImage(IMAGE)).toMatchObject({ id: IMAGE, visibility: "shared", status: "active" });
  });
});

describe("the image endpoint", () => {
  test("comes from the catalog for the region and interface asked for", async ({ fake, open }) => {
    fake.regions = [
      { id: "RegionOne", interfaces: ["public", "internal"] },
      { id: "RegionTwo", interfaces: ["public", "internal"] },
    ];
    const glance = await open({ region: "RegionTwo", interface: "internal" });
    expect(glance.endpoint).toBe(fake.imageUrl("RegionTwo", "internal"));
  });

  test("must be pinned by a region when several regions offer it", async ({ fake, open }) => {
    fake.regions = [
      { id: "RegionOne", interfaces: ["public"] },
      { id: "RegionTwo", interfaces: ["public"] },
    ];
    await expect(open()).rejects.toThrow(/image service is offered in several regions \(RegionOne, RegionTwo\).*set region/);
  });

  test("an unknown region names the ones on offer", async ({ open }) => {
    await expect(open({ region: "Nowhere" })).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringMatching(
        /no public image endpoint in region "Nowhere" .*\(it offers: RegionOne\/public, RegionOne\/internal, RegionOne\/admin\)/,
      ),
    });
  });

  test("imageEndpoint overrides the catalog", async ({ fake, open }) => {
    const glance = await open({ imageEndpoint: `${fake.imageUrl("Elsewhere", "x")}/v2/` });
    expect(glance.endpoint).toBe(fake.imageUrl("Elsewhere", "x"));
    await glance.listMembers(IMAGE);
    expect(fake.count("GET", /^\/image\/Elsewhere\/x\/v2\/images\/.*\/members$/)).toBe(1);
  });
});

describe("validation before any request", () => {
  test("a status in capitals is refused with a suggestion and nothing is sent", async ({ fake, open }) => {
    const glance = await open();
    const before = fake.requests.length;
    await expect(glance.updateMemberStatus(IMAGE, CONSUMER, "ACCEPTED" as MemberStatus)).rejects.toMatchObject({
      code: "ERR_VALIDATION",
      message: 'status "ACCEPTED" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "accepted"?',
    });
    expect(fake.requests.length).toBe(before);
  });

  test("empty ids and ids with a slash are refused", async ({ fake, open }) => {
    const glance = await open();
    const before = fake.requests.length;
    await expect(glance.createMember("", CONSUMER)).rejects.toThrow("imageId must not be empty");
    await expect(glance.createMember(IMAGE, "a/b")).rejects.toThrow('memberId "a/b" must not contain "/"');
    await expect(glance.getMember(IMAGE, " x")).rejects.toThrow(/must not contain whitespace/);
    expect(fake.requests.length).toBe(before);
  });
});

describe("errors", () => {
  test("a duplicate member on the first attempt is ERR_ALREADY_SHARED with its 409, the request id and Glance's cleaned message", async ({
    open,
  }) => {
    const glance = await open();
    await glance.createMember(IMAGE, CONSUMER);
    const error = await glance.createMember(IMAGE, CONSUMER).catch((e: unknown) => e);
    expect(isHttpError(error, 409)).toBe(true);
    expect(error).toMatchObject({
      code: "ERR_ALREADY_SHARED",
      status: 409,
      method: "POST",
      requestId: expect.stringMatching(/^req-/),
      hint: `project ${CONSUMER} is already a member of image ${IMAGE}`,
    });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^POST http://127.0.0.1:\\d+/image/RegionOne/public/v2/images/${IMAGE}/members failed with 409: Member ${CONSUMER} is duplicated for image ${IMAGE} — project`,
      ),
    );
    expect((error as Error).message).not.toContain("<br");
  });

  test("a refused create on a private image says to make it shared", async ({ fake, open }) => {
    fake.addImage("private-image", "private");
    const glance = await open();
    await expect(glance.createMember("private-image", CONSUMER)).rejects.toMatchObject({
      code: "ERR_FORBIDDEN",
      status: 403,
      hint: expect.stringMatching(/has visibility "private": only images with visibility "shared" have members/),
    });
  });

  test("a refused create on someone else's image names the owner", async ({ fake, open }) => {
    fake.addImage("foreign-image", "shared", "another-project");
    const glance = await open();
    await expect(glance.createMember("foreign-image", CONSUMER)).rejects.toMatchObject({
      code: "ERR_FORBIDDEN",
      status: 403,
      hint: expect.stringMatching(/owned by project another-project, not by this credential's project/),
    });
  });

  test("a refused status change says only the member may set it", async ({ fake, open }) => {
    fake.on("PUT", /members\//, () => ({ status: 403, body: { message: "You are not authorized to complete modify_member action." } }));
    const glance = await open();
    await expect(glance.updateMemberStatus(IMAGE, CONSUMER, "accepted")).rejects.toMatchObject({
      code: "ERR_FORBIDDEN",
      status: 403,
      hint: expect.stringMatching(/only the member project itself .* may set its status/),
    });
  });

  test("accepting a share that does not exist yet is ERR_NOT_SHARED, still a 404, saying the owner must add the member", async ({
    open,
  }) => {
    const glance = await open();
    const error = await glance.updateMemberStatus(IMAGE, CONSUMER, "accepted").catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ERR_NOT_SHARED",
      status: 404,
      method: "PUT",
      requestId: expect.stringMatching(/^req-/),
      hint: expect.stringMatching(/is not shared with project .* \(yet\): the image owner must add it/),
    });
    // what callers that branch on the status wrote before the code existed still matches
    expect(isHttpError(error, 404)).toBe(true);
    await expect(glance.getMember(IMAGE, CONSUMER)).rejects.toMatchObject({ code: "ERR_NOT_SHARED", status: 404, method: "GET" });
  });

  test("an image that is not there (or not visible) is ERR_IMAGE_NOT_FOUND wherever the URL names only the image", async ({ open }) => {
    const glance = await open();
    const missing = "99999999-2222-3333-4444-555555555555";
    for (const call of [() => glance.getImage(missing), () => glance.listMembers(missing), () => glance.createMember(missing, CONSUMER)]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "ERR_IMAGE_NOT_FOUND",
        status: 404,
        hint: `image ${missing} does not exist or is not visible to project ${glance.projectId}`,
      });
      expect(isHttpError(error, 404)).toBe(true);
    }
  });

  test("the member quota names the quota", async ({ fake, open }) => {
    fake.on("POST", members, () => ({ status: 413, body: { message: "Image member limit exceeded for image" } }));
    const glance = await open();
    await expect(glance.createMember(IMAGE, CONSUMER)).rejects.toMatchObject({
      code: "ERR_MEMBER_QUOTA",
      status: 413,
      hint: expect.stringMatching(/member quota \(image_member_quota/),
    });
  });

  test("an HTML error body becomes one line of text", async ({ fake, open }) => {
    fake.on("GET", members, () => ({ status: 400, body: "<html><body><h1>400 Bad Request</h1>Bad things<br /><br /></body></html>" }));
    const glance = await open();
    await expect(glance.listMembers(IMAGE)).rejects.toThrow(/failed with 400: 400 Bad Request Bad things$/);
  });

  test("an answer that is not JSON is said one way, whoever sent it: Keystone, a member call, the image list", async ({ fake, open }) => {
    const notJson = (method: string, status: number) =>
      expect.objectContaining({
        code: "ERR_HTTP",
        method,
        status,
        message: expect.stringMatching(
          new RegExp(`^${method} http://127\\.0\\.0\\.1:\\d+/\\S+ answered ${status} with a body that is not JSON`),
        ),
      });
    const glance = await open();
    fake.on("GET", /members\//, () => ({ status: 200, body: "<html>member</html>" }), 1);
    await expect(glance.getMember(IMAGE, CONSUMER)).rejects.toEqual(notJson("GET", 200));
    fake.on("GET", /\/v2\/images$/, () => ({ status: 200, body: "<html>list</html>" }), 1);
    await expect(glance.listSharedImages({ memberStatus: "accepted" })).rejects.toEqual(notJson("GET", 200));
    fake.on("POST", /auth\/tokens$/, () => ({ status: 201, body: "<html>token</html>", headers: { "x-subject-token": "t" } }), 1);
    await expect(open({ username: "someone-else" })).rejects.toEqual(notJson("POST", 201));
  });

  test("errors are recognised by name and code, not only by class", async ({ open }) => {
    const glance = await open();
    const error = await glance.getMember(IMAGE, CONSUMER).catch((e: unknown) => e);
    const copy = JSON.parse(JSON.stringify({ ...(error as object), name: (error as Error).name }));
    expect(copy).toMatchObject({ code: "ERR_NOT_SHARED", status: 404 });
    expect(isImageMembersError(copy)).toBe(true);
    expect(isHttpError(copy, 404)).toBe(true);
    expect(isHttpError(copy, 403)).toBe(false);
  });

  test("a wrong password is an auth error naming the source, without the password", async ({ fake, open }) => {
    fake.on("POST", /auth\/tokens$/, () => ({
      status: 401,
      body: { error: { code: 401, message: "The request you have made requires authentication.", title: "Unauthorized" } },
    }));
    const error = await open().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_AUTH", status: 401, hint: "check the user, password, project and their domains" });
    expect((error as Error).message).toContain(
      "refused the password credentials from the cloud options: 401 The request you have made requires authentication",
    );
    expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain(PASSWORD);
  });

  test("an unreachable Keystone is a network error naming the auth URL", async ({ fake, open }) => {
    const url = fake.authUrl;
    await fake.close();
    const error = await open({ authUrl: url }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ERR_NETWORK",
      message: expect.stringContaining(`POST ${url}/auth/tokens failed: ECONNREFUSED after 4 attempts`),
    });
  });
});
