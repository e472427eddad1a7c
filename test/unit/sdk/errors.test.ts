import { describe, expect, it } from "vitest";
import * as root from "../../../provider";
import * as sdk from "../../../sdk";
import { alreadySharedError, type ErrorCode, ImageMembersError, isHttpError, notSharedError, statusError } from "../../../sdk/errors";
import { accepts, failure, hintFor, type Operation, operations, outcomeFor } from "../../../sdk/image-members";

/** The error model: which statuses each operation accepts (data, as gophercloud's OkCodes), the hints and codes by operation and status, one constructor module. */
describe("each operation's accepted statuses", () => {
  const cases: [Operation, number, boolean, boolean][] = [
    // operation, status, accepted on a first answer, accepted after an attempt that may have acted
    ["createMember", 200, true, true],
    ["createMember", 409, false, true],
    ["createMember", 201, false, false],
    ["deleteMember", 204, true, true],
    ["deleteMember", 404, true, true],
    ["deleteMember", 200, false, false],
    ["updateMemberStatus", 200, true, true],
    ["updateMemberStatus", 404, false, false],
    ["getMember", 200, true, true],
    ["getMember", 404, false, false],
    ["listMembers", 200, true, true],
    ["getImage", 200, true, true],
    ["listImages", 200, true, true],
    ["listImages", 400, false, false],
  ];
  for (const [op, status, first, afterActed] of cases) {
    it(`${op} ${status}: ${first ? "accepted" : "refused"}${first !== afterActed ? `, ${afterActed ? "accepted" : "refused"} after an attempt that may have acted` : ""}`, () => {
      expect(accepts(op, { status, maybeActed: false })).toBe(first);
      expect(accepts(op, { status, maybeActed: true })).toBe(afterActed);
    });
  }
  it("covers every operation", () => {
    expect(new Set(cases.map(([op]) => op))).toEqual(new Set(Object.keys(operations)));
  });
});

describe("hints, by operation and status", () => {
  const ctx = { imageId: "img", memberId: "mem", projectId: "proj" };
  it("a 404 means a different thing to each operation", () => {
    expect(hintFor(404, { ...ctx, operation: "updateMemberStatus" })).toBe(
      "image img is not shared with project mem (yet): the image owner must add it as a member first",
    );
    expect(hintFor(404, { ...ctx, operation: "getMember" })).toMatch(/^project mem is not a member of image img/);
    expect(hintFor(404, { ...ctx, operation: "createMember" })).toBe("image img does not exist or is not visible to project proj");
    expect(hintFor(404, { ...ctx, operation: "listImages" })).toBeUndefined();
  });
  it("a 403 on create names what the image record shows", () => {
    expect(
      hintFor(403, { ...ctx, operation: "createMember", image: { id: "img", owner: "proj", visibility: "private", status: "active" } }),
    ).toMatch(/visibility "private"/);
    expect(
      hintFor(403, { ...ctx, operation: "createMember", image: { id: "img", owner: "other", visibility: "shared", status: "active" } }),
    ).toMatch(/owned by project other/);
    expect(hintFor(403, { ...ctx, operation: "updateMemberStatus" })).toMatch(/only the member project itself \(mem\)/);
  });
  it("a second 401 says the same for every operation", () => {
    const said = new Set((Object.keys(operations) as Operation[]).map((operation) => hintFor(401, { ...ctx, operation })));
    expect([...said]).toEqual(["the token was refused twice: check that Keystone and Glance agree (same Keystone, clocks in sync)"]);
  });
  it("statuses without a meaning of their own get no hint", () => {
    expect(hintFor(500, { ...ctx, operation: "createMember" })).toBeUndefined();
    expect(hintFor(409, { ...ctx, operation: "deleteMember" })).toBeUndefined();
  });
});

describe("codes, by operation and status", () => {
  const answer = (status: number) => ({
    status,
    headers: { "x-openstack-request-id": "req-1" },
    body: '{"message": "refused"}',
    attempts: 1,
    maybeActed: false,
  });
  const url = "http://glance.test/v2/images/img/members/mem";
  const codeOf = (operation: Operation, status: number) =>
    failure(answer(status), url, { operation, imageId: "img", memberId: "mem", projectId: "proj" }).code;
  const cases: [Operation, number, ErrorCode][] = [
    // a 404 where the URL names the member: not shared (or the image is gone: Glance answers both alike)
    ["getMember", 404, "ERR_NOT_SHARED"],
    ["updateMemberStatus", 404, "ERR_NOT_SHARED"],
    // a 404 where the URL names only the image
    ["listMembers", 404, "ERR_IMAGE_NOT_FOUND"],
    ["createMember", 404, "ERR_IMAGE_NOT_FOUND"],
    ["getImage", 404, "ERR_IMAGE_NOT_FOUND"],
    ["createMember", 409, "ERR_ALREADY_SHARED"],
    ["createMember", 413, "ERR_MEMBER_QUOTA"],
    // a 403 is forbidden whatever Glance's policy mode words it as
    ...(Object.keys(operations) as Operation[]).map((op): [Operation, number, ErrorCode] => [op, 403, "ERR_FORBIDDEN"]),
    // a second 401 is an auth error for every operation
    ...(Object.keys(operations) as Operation[]).map((op): [Operation, number, ErrorCode] => [op, 401, "ERR_AUTH"]),
    // statuses without an outcome of their own
    ["listImages", 404, "ERR_HTTP"],
    ["listImages", 400, "ERR_HTTP"],
    ["deleteMember", 409, "ERR_HTTP"],
    ["createMember", 500, "ERR_HTTP"],
    ["updateMemberStatus", 409, "ERR_HTTP"],
  ];
  for (const [op, status, code] of cases) {
    it(`${op} ${status}: ${code}, keeping the status, method, path and request id`, () => {
      expect(codeOf(op, status)).toBe(code);
      const e = failure(answer(status), url, { operation: op, imageId: "img", memberId: "mem", projectId: "proj" });
      expect(e).toMatchObject({ status, method: operations[op].method, path: url, requestId: "req-1" });
      expect(isHttpError(e, status)).toBe(true);
    });
  }
  it("outcomeFor leaves a status without an outcome to ERR_HTTP", () => {
    expect(outcomeFor("createMember", 409)).toBe("ERR_ALREADY_SHARED");
    expect(outcomeFor("deleteMember", 404)).toBeUndefined(); // accepted: already gone
  });
});

describe("isHttpError matches every error with a status, whatever its code", () => {
  const cause = statusError(
    "PUT",
    "http://glance.test/v2/images/img/members/mem",
    { status: 404, headers: { "x-openstack-request-id": "req-2" }, body: "", attempts: 1 },
    undefined,
    "ERR_NOT_SHARED",
  );
  const notShared = notSharedError("MemberAcceptance", "img", "mem", 0, cause);
  const already = alreadySharedError(
    "ImageMember",
    "img",
    "mem",
    "accepted",
    "2026-01-01T00:00:00Z",
    statusError(
      "POST",
      "http://glance.test/v2/images/img/members",
      { status: 409, headers: {}, body: "", attempts: 1 },
      undefined,
      "ERR_ALREADY_SHARED",
    ),
  );

  it("the provider's not-shared error: ERR_NOT_SHARED with the 404 and the request it concerns", () => {
    expect(notShared).toMatchObject({
      code: "ERR_NOT_SHARED",
      status: 404,
      method: "PUT",
      path: "http://glance.test/v2/images/img/members/mem",
      requestId: "req-2",
    });
    expect(isHttpError(notShared, 404)).toBe(true);
    expect(isHttpError(notShared)).toBe(true);
    expect(isHttpError(notShared, 409)).toBe(false);
  });

  it("the provider's already-shared error: ERR_ALREADY_SHARED with the 409", () => {
    expect(already).toMatchObject({ code: "ERR_ALREADY_SHARED", status: 409, method: "POST" });
    expect(isHttpError(already, 409)).toBe(true);
  });

  it("an error without a status is not one, nor is anything else", () => {
    expect(isHttpError(new ImageMembersError("ERR_CONFIG", "no credentials"))).toBe(false);
    expect(isHttpError(new ImageMembersError("ERR_NETWORK", "refused"), 404)).toBe(false);
    expect(isHttpError(Object.assign(new Error("x"), { status: 404, code: "ERR_HTTP" }), 404)).toBe(false);
    expect(isHttpError({ name: "ImageMembersError", code: "ERR_NOT_SHARED", status: "404" })).toBe(false);
    expect(isHttpError(undefined)).toBe(false);
  });
});

describe("the package root exports the error class and its guards", () => {
  it("the same ones as pulumi-image-members/sdk", () => {
    expect(root.ImageMembersError).toBe(sdk.ImageMembersError);
    expect(root.isImageMembersError).toBe(sdk.isImageMembersError);
    expect(root.isHttpError).toBe(sdk.isHttpError);
    const code: root.ErrorCode = "ERR_NOT_SHARED";
    expect(root.isImageMembersError(new root.ImageMembersError(code, "x"))).toBe(true);
  });
});
