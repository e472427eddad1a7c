import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { AcceptShares, checkAcceptSharesArgs, globToRegExp, selectShares } from "../../../provider/accept-shares";
import { getSharedImages, getSharedImagesOutput } from "../../../provider/functions";
import { forgetTokens } from "../../../sdk/image-service";
import type { SharedImage } from "../../../sdk/types";
import { test, withProgramCredentials } from "../support/fake-fixture";

const OWNER = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

describe("nameMatch globs", () => {
  const matches = (glob: string, name: string) => globToRegExp(glob).test(name);

  it("* is any run of characters, ? exactly one; the whole name must match", () => {
    expect(matches("golden-*", "golden-2026.01")).toBe(true);
    expect(matches("golden-*", "golden-")).toBe(true);
    expect(matches("golden-*", "old-golden-1")).toBe(false);
    expect(matches("*-linux", "ubuntu-24.04-linux")).toBe(true);
    expect(matches("*-linux", "ubuntu-linux-x")).toBe(false);
    expect(matches("v?", "v1")).toBe(true);
    expect(matches("v?", "v10")).toBe(false);
    expect(matches("v?", "v")).toBe(false);
    expect(matches("*", "")).toBe(true);
    expect(matches("a*b*c", "a-x-b-y-c")).toBe(true);
    expect(matches("?", "é")).toBe(true); // one character, not one UTF-16 unit
    expect(matches("?", "😀")).toBe(true);
    expect(matches("line*", "line\nbreak")).toBe(true);
  });

  it("every other character is itself: no regular-expression or bracket syntax", () => {
    expect(matches("img.1", "img.1")).toBe(true);
    expect(matches("img.1", "imgx1")).toBe(false);
    expect(matches("[ab]", "[ab]")).toBe(true);
    expect(matches("[ab]", "a")).toBe(false);
    expect(matches("a+", "aa")).toBe(false);
    expect(matches("a+", "a+")).toBe(true);
    expect(matches("(x|y)", "x")).toBe(false);
    expect(matches("(x|y)", "(x|y)")).toBe(true);
    expect(matches("^a$", "^a$")).toBe(true);
    expect(matches("a{2}", "aa")).toBe(false);
    expect(matches("c:\\img", "c:\\img")).toBe(true);
    expect(matches("x/y-z", "x/y-z")).toBe(true);
    expect(matches("Golden", "golden")).toBe(false); // case matters, as in Glance
  });

  it("keeps the matching images, sorted by id; an image without a name has the empty name", () => {
    const image = (imageId: string, name?: string): SharedImage => ({ imageId, ...(name === undefined ? {} : { name }), owner: OWNER, memberStatus: "pending", tags: [], createdAt: "" });
    const images = [image("c", "golden-2"), image("a", "golden-1"), image("b", "silver"), image("d")];
    expect(selectShares(images, "golden-*").map((i) => i.imageId)).toEqual(["a", "c"]);
    expect(selectShares(images, undefined).map((i) => i.imageId)).toEqual(["a", "b", "c", "d"]);
    expect(selectShares(images, "*").map((i) => i.imageId)).toEqual(["a", "b", "c", "d"]);
  });
});

describe("AcceptShares arguments", () => {
  it("every problem at once, each naming the property", () => {
    expect(checkAcceptSharesArgs({})).toEqual(["owners is required: give the project ids of the producers whose shares this project accepts"]);
    expect(checkAcceptSharesArgs({ owners: [] })).toEqual(["owners must list at least one project id: the producers whose shares this project accepts"]);
    expect(checkAcceptSharesArgs({ owners: OWNER })).toEqual([`owners must be a list of project ids, not "${OWNER}"`]);
    expect(checkAcceptSharesArgs({
      owners: [OWNER, "", "a/b", 7], status: "ACCEPTED", statusOnDelete: "deleted", nameMatch: "", tags: ["ok", " "], cloud: "", region: 3, ownerz: [],
    })).toEqual([
      "ownerz is not a property of AcceptShares (it has: owners, status, nameMatch, tags, statusOnDelete, cloud, region)",
      "owners[1] must not be empty (a project id)",
      'owners[2] "a/b" must not contain "/" (a project id)',
      "owners[3] must be a string, not number (a project id)",
      'status "ACCEPTED" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "accepted"?',
      'statusOnDelete "deleted" is not allowed: use "rejected" or "pending"',
      'nameMatch must be a non-empty glob (* and ?), not ""',
      'tags[1] must be a non-empty string, not " "',
      'cloud must be a non-empty string, not ""',
      "region must be a non-empty string, not 3",
    ]);
    expect(checkAcceptSharesArgs({ owners: [OWNER], Owners: [OWNER] })).toEqual(["Owners is not a property of AcceptShares; did you mean owners?"]);
    expect(checkAcceptSharesArgs({ owners: [OWNER], status: "rejected", statusOnDelete: "pending", nameMatch: "x*", tags: ["a"], cloud: "consumer", region: "RegionOne" })).toEqual([]);
  });

  it("values that are not known when the program runs are refused: the listing comes first", () => {
    expect(checkAcceptSharesArgs({ owners: pulumi.output([OWNER]) })).toEqual([
      "owners must be a list of project ids known when the program runs, not an Output or a Promise: the shares are listed before any resource is declared",
    ]);
    expect(checkAcceptSharesArgs({ owners: [OWNER], cloud: Promise.resolve("consumer") })).toEqual([
      "cloud must be a string known when the program runs, not an Output or a Promise: the shares are listed before any resource is declared",
    ]);
  });

  test("the constructor refuses bad arguments before any request", async ({ fake }) => {
    const before = fake.requests.length;
    expect(() => new AcceptShares("trusted", { owners: [""] })).toThrow('AcceptShares "trusted": owners[0] must not be empty (a project id)');
    expect(() => new AcceptShares("trusted", { owners: [OWNER], status: "yes" as never })).toThrow(/AcceptShares "trusted": status "yes" is not a member status/);
    expect(() => new AcceptShares("trusted", undefined as never)).toThrow("arguments must be an object with owners");
    expect(fake.requests.length).toBe(before);
  });
});

describe("getSharedImages", () => {
  test("lists through the SDK with the program's credentials; the Output form takes inputs", async ({ fake }) => {
    forgetTokens();
    fake.imageListLimitMax = 2;
    fake.addSharedImage("s1", { owner: OWNER, status: "accepted", name: "one", tags: ["gold"] });
    fake.addSharedImage("s2", { owner: OWNER, status: "pending", name: "two" });
    fake.addSharedImage("s3", { owner: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", status: "rejected", name: "three" });
    await withProgramCredentials(fake, async () => {
      const all = await getSharedImages();
      expect(Object.fromEntries(all.map((i) => [i.imageId, i.memberStatus]))).toEqual({ s1: "accepted", s2: "pending", s3: "rejected" });
      expect((await getSharedImages({ owners: [OWNER], memberStatus: "pending" })).map((i) => i.imageId)).toEqual(["s2"]);
      const out = getSharedImagesOutput({ owners: pulumi.output([OWNER]), tags: ["gold"] });
      expect(await new Promise((resolve) => out.apply(resolve))).toMatchObject([{ imageId: "s1", name: "one", tags: ["gold"], memberStatus: "accepted" }]);
      await expect(getSharedImages({ memberStatus: "any" as never })).rejects.toMatchObject({ code: "ERR_VALIDATION" });
    });
  });
});
