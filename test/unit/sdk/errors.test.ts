import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { accepts, hintFor, operations, type Operation } from "../../../sdk/image-members";

/** The error model: which statuses each operation accepts (data, as gophercloud's OkCodes), the hints by operation and status, one constructor module. */
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
    expect(hintFor(404, { ...ctx, operation: "updateMemberStatus" })).toBe("image img is not shared with project mem (yet): the image owner must add it as a member first");
    expect(hintFor(404, { ...ctx, operation: "getMember" })).toMatch(/^project mem is not a member of image img/);
    expect(hintFor(404, { ...ctx, operation: "createMember" })).toBe("image img does not exist or is not visible to project proj");
    expect(hintFor(404, { ...ctx, operation: "listImages" })).toBeUndefined();
  });
  it("a 403 on create names what the image record shows", () => {
    expect(hintFor(403, { ...ctx, operation: "createMember", image: { id: "img", owner: "proj", visibility: "private", status: "active" } })).toMatch(/visibility "private"/);
    expect(hintFor(403, { ...ctx, operation: "createMember", image: { id: "img", owner: "other", visibility: "shared", status: "active" } })).toMatch(/owned by project other/);
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

describe("one module constructs the errors", () => {
  it("no file in sdk/ or provider/ but sdk/errors.ts says `new ImageMembersError`", () => {
    const root = path.join(__dirname, "../../..");
    const files = ["sdk", "provider"].flatMap((d) => fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith(".ts")).map((f) => `${d}/${f}`));
    const constructing = files.filter((f) => fs.readFileSync(path.join(root, f), "utf8").includes("new ImageMembersError("));
    expect(constructing).toEqual(["sdk/errors.ts"]);
  });
});
