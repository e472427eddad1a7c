import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findLeaks } from "../support/leaks";
import { checkErrors, IM, IS, MA, type Pkg, Rig } from "./harness";

/**
 * Bad resource inputs, through the engine as `pulumi up` (and `pulumi preview`) shows them: each is
 * refused by the provider's check with a failure naming the property and the fix, before any request
 * (the counting proxies in front of Keystone and Glance see none), nothing lands in the state, and the
 * image's members are what they were. Programs in TypeScript cannot spell most of these; JavaScript
 * programs, YAML-driven programs and `as any` can, and that is what users meet.
 */
let rig: Rig;

beforeAll(async () => {
  rig = await Rig.start("bad-inputs");
});
afterAll(async () => {
  await rig?.stop();
});
afterEach(() => rig.expectNoLeaks());

/** A program of one ImageMember on the rig's shared image with these (possibly wrong) args. */
const member =
  (args: Record<string, unknown>, name = "m") =>
  (pkg: Pkg) => {
    new pkg.ImageMember(name, { imageId: rig.image, memberId: "new-member", ...args } as never);
  };
/** A program of one MemberAcceptance (as the producer: no request may go out anyway). */
const acceptance =
  (args: Record<string, unknown>, name = "a") =>
  (pkg: Pkg) => {
    new pkg.MemberAcceptance(name, { imageId: rig.image, ...args } as never);
  };

/** Runs the case (preview and up) and checks that neither Keystone nor Glance was asked anything. */
async function refused(program: (pkg: Pkg) => unknown): Promise<string[]> {
  const r = await rig.failingUp(program, { preview: true });
  expect({ keystone: r.keystone, glance: r.glance }).toEqual({ keystone: [], glance: [] });
  // no step ran: the failure is the check's, reported before any create
  expect(r.result.steps.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic/"))).toEqual([]);
  // the CLI adds no error of its own after a failed check (no `update failed`: no step ran)
  expect(r.closing).toEqual([]);
  return r.errors;
}

const IMAGE_FIX = "give the id of an image your project owns, with visibility shared";
const MEMBER_FIX = "give the id of the project to share the image with";

describe("ImageMember", () => {
  it("an empty imageId", async () => {
    expect(await refused(member({ imageId: "" }))).toEqual(checkErrors(IM, "m", [["imageId", "", `must not be empty: ${IMAGE_FIX}`]]));
  });

  it('an imageId with "/" (it would route the request elsewhere)', async () => {
    expect(await refused(member({ imageId: `${rig.image}/members` }))).toEqual(
      checkErrors(IM, "m", [["imageId", `${rig.image}/members`, `"${rig.image}/members" must not contain "/": ${IMAGE_FIX}`]]),
    );
  });

  it("a memberId with whitespace (a pasted id with a trailing newline)", async () => {
    expect(await refused(member({ memberId: "0123abcd\n" }))).toEqual(
      checkErrors(IM, "m", [["memberId", "0123abcd\n", `"0123abcd\\n" must not contain whitespace: ${MEMBER_FIX}`]]),
    );
  });

  it("an empty memberId", async () => {
    expect(await refused(member({ memberId: "" }))).toEqual(checkErrors(IM, "m", [["memberId", "", `must not be empty: ${MEMBER_FIX}`]]));
  });

  it("a memberId that is not a string", async () => {
    expect(await refused(member({ memberId: 42 }))).toEqual(
      checkErrors(IM, "m", [["memberId", 42, `must be a string, not number: ${MEMBER_FIX}`]]),
    );
  });

  it("a missing memberId", async () => {
    expect(await refused((pkg) => new pkg.ImageMember("m", { imageId: rig.image } as never))).toEqual(
      checkErrors(IM, "m", [["memberId", undefined, `is required: ${MEMBER_FIX}`]]),
    );
  });

  it("a typo in a property name (memberID) is named, with the property meant", async () => {
    expect(await refused((pkg) => new pkg.ImageMember("m", { imageId: rig.image, memberID: "new-member" } as never))).toEqual(
      checkErrors(IM, "m", [
        ["memberID", "new-member", "is not a property of ImageMember; did you mean memberId?"],
        ["memberId", undefined, `is required: ${MEMBER_FIX}`],
      ]),
    );
  });

  it("an unknown property without a near name lists the properties there are", async () => {
    expect(await refused(member({ shareWith: "everyone" }))).toEqual(
      checkErrors(IM, "m", [
        ["shareWith", "everyone", "is not a property of ImageMember (it has: imageId, memberId, status, adoptExisting, cloud, region)"],
      ]),
    );
  });

  it('an uppercase status gets "did you mean"', async () => {
    expect(await refused(member({ status: "Pending" }))).toEqual(
      checkErrors(IM, "m", [
        [
          "status",
          "Pending",
          '"Pending" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "pending"? ' +
            "(status is for admins who force a member's status; leave it unset to let the member decide)",
        ],
      ]),
    );
  });

  it("adoptExisting that is not a boolean", async () => {
    expect(await refused(member({ adoptExisting: "yes" }))).toEqual(
      checkErrors(IM, "m", [["adoptExisting", "yes", 'must be true or false, not "yes"']]),
    );
  });

  it("an empty cloud and a blank region", async () => {
    expect(await refused(member({ cloud: "", region: "  " }))).toEqual(
      checkErrors(IM, "m", [
        ["cloud", "", "must be a non-empty string (a clouds.yaml entry)"],
        ["region", "  ", "must be a non-empty string (a region of the image service)"],
      ]),
    );
  });

  it("ImageShare listing a member twice, and a member id that is not one", async () => {
    expect(await refused((pkg) => new pkg.ImageShare("s", { imageId: rig.image, memberIds: ["p1", "p 2", "p1"] }))).toEqual(
      checkErrors(IS, "s", [
        [
          "memberIds",
          ["p1", "p 2", "p1"],
          'memberIds[1] "p 2" must not contain whitespace: give the ids of the projects to share the image with',
        ],
        ["memberIds", ["p1", "p 2", "p1"], "lists p1 more than once: list each project once"],
      ]),
    );
  });

  it("ImageShare memberIds that is not a list", async () => {
    expect(await refused((pkg) => new pkg.ImageShare("s", { imageId: rig.image, memberIds: "p1" } as never))).toEqual(
      checkErrors(IS, "s", [["memberIds", "p1", 'must be a list of project ids (an empty list shares with nobody), not "p1"']]),
    );
  });
});

describe("MemberAcceptance", () => {
  it("an unknown status", async () => {
    expect(await refused(acceptance({ status: "accept" }))).toEqual(
      checkErrors(MA, "a", [["status", "accept", '"accept" is not a member status: use one of "accepted", "pending", "rejected"']]),
    );
  });

  it('an uppercase status gets "did you mean"', async () => {
    expect(await refused(acceptance({ status: "ACCEPTED" }))).toEqual(
      checkErrors(MA, "a", [
        ["status", "ACCEPTED", '"ACCEPTED" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "accepted"?'],
      ]),
    );
  });

  it("a negative waitForShareSeconds", async () => {
    expect(await refused(acceptance({ waitForShareSeconds: -5 }))).toEqual(
      checkErrors(MA, "a", [["waitForShareSeconds", -5, "must be a number of seconds from 0 to 3600, not -5"]]),
    );
  });

  it("a waitForShareSeconds given as text, and one over an hour", async () => {
    expect(await refused(acceptance({ waitForShareSeconds: "10" }))).toEqual(
      checkErrors(MA, "a", [["waitForShareSeconds", "10", 'must be a number of seconds from 0 to 3600, not "10"']]),
    );
    expect(await refused(acceptance({ waitForShareSeconds: 3601 }))).toEqual(
      checkErrors(MA, "a", [["waitForShareSeconds", 3601, "must be a number of seconds from 0 to 3600, not 3601"]]),
    );
  });

  it("a statusOnDelete a consumer cannot leave behind", async () => {
    expect(await refused(acceptance({ statusOnDelete: "deleted" }))).toEqual(
      checkErrors(MA, "a", [["statusOnDelete", "deleted", '"deleted" is not allowed: use "rejected" or "pending"']]),
    );
  });

  it("a typo in a property name (imageID) is named, with the property meant", async () => {
    expect(await refused((pkg) => new pkg.MemberAcceptance("a", { imageID: rig.image } as never))).toEqual(
      checkErrors(MA, "a", [
        ["imageID", rig.image, "is not a property of MemberAcceptance; did you mean imageId?"],
        ["imageId", undefined, "is required: give the id of the image shared with your project"],
      ]),
    );
  });

  it("a memberId with '/'", async () => {
    expect(await refused(acceptance({ memberId: "a/b" }))).toEqual(
      checkErrors(MA, "a", [["memberId", "a/b", `"a/b" must not contain "/": leave it unset to use your credential's project`]]),
    );
  });

  it("every problem of a resource is reported at once", async () => {
    expect(await refused(acceptance({ imageId: " ", status: "Rejected", statusOnDelete: "accepted", waitForShareSeconds: -1 }))).toEqual(
      checkErrors(MA, "a", [
        ["imageId", " ", '" " must not contain whitespace: give the id of the image shared with your project'],
        ["status", "Rejected", '"Rejected" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "rejected"?'],
        ["statusOnDelete", "accepted", '"accepted" is not allowed: use "rejected" or "pending"'],
        ["waitForShareSeconds", -1, "must be a number of seconds from 0 to 3600, not -1"],
      ]),
    );
  });
});

describe("the leak check these tests end with", () => {
  it("finds a planted secret in a state file, a run's message and errors, and a caught error, without printing it", async () => {
    const planted = "planted-secret-9d1c";
    const stack = await rig.newStack({ "openstack:cloud": "producer" }, { OS_CLIENT_CONFIG_FILE: rig.cloudsFile });
    const empty = await stack.exportState();
    const note = {
      urn: stack.urn("test:index:Note", "planted"),
      type: "test:index:Note",
      custom: false,
      inputs: { note: planted },
      outputs: {},
    };
    await stack.importState({ ...empty, resources: [...(empty.resources ?? []), note] });
    const program = (pkg: Pkg) => {
      new pkg.ImageMember("m", { imageId: rig.image, memberId: `${planted}/x` });
    };
    const run = await stack.preview(program, { allowFailure: true });
    const found = findLeaks({ stacks: [stack], results: [run], errors: [new Error(`boom ${planted}`)] }, ["not-there", planted]);
    // the preview failed at the check, with the planted value in its message
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      `${IM} resource 'm': property memberId value {${planted}/x} has a problem: "${planted}/x" must not contain "/": ${MEMBER_FIX}`,
    ]);
    expect(found).toEqual([
      `state file ${stack.statePath} contains secret #1`,
      "result #0 (preview): message contains secret #1",
      "result #0 (preview): errors contains secret #1",
      // the CLI prints the check failure and writes it to its engine events too
      "result #0 (preview): output contains secret #1",
      "result #0 (preview): engine events contains secret #1",
      "error #0 contains secret #1",
    ]);
    expect(found.join("\n")).not.toContain(planted);
    await stack.cli(["stack", "rm", "--force", "--yes", "--remove-backups", "--stack", stack.stackName]);
    rig.leaks.forget(); // the planted stack is gone; the other stacks' files are scanned by their own tests
    expect(findLeaks({ stacks: [stack] }, [planted])).toEqual([]);
  });
});
