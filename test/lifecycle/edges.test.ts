import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudsFileVia, type FaultProxy, removeCloudsCopies, startFaultProxy } from "../../dev/harness/fault-proxy";
import { getMemberRaw, listMembersRaw, setMemberStatusRaw } from "../../dev/harness/images";
import type { Program } from "../../dev/harness/pulumi";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { changes, newStack, type Pkg, type TestStack } from "./support";

/**
 * The edges of the lifecycle: bad inputs stop in check before any request; a create that did half its
 * work is recorded, not lost; no token ever reaches the state or the plugin's output. Keystone and
 * Glance are reached through counting proxies (no faults) so requests can be counted and tokens seen.
 */
const cloud = testCloud();
const C = cloud.projects.consumer;

describe("through counting proxies", () => {
  let keystone: FaultProxy;
  let glance: FaultProxy;
  let stack: TestStack;
  let admin: TestStack;
  const requests = () => keystone.stats().requests + glance.stats().requests;

  beforeAll(async () => {
    keystone = await startFaultProxy(new URL(cloud.authUrl).origin);
    glance = await startFaultProxy(cloud.imageUrl);
    const env = { OS_CLIENT_CONFIG_FILE: cloudsFileVia(cloud.cloudsFile, { keystone: keystone.url, glance: glance.url }) };
    [stack, admin] = await Promise.all([
      newStack("edges-producer", { "openstack:cloud": "producer" }, env),
      newStack("edges-admin", { "openstack:cloud": "admin" }, env),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.remove(), admin?.remove(), keystone?.close(), glance?.close()]);
    removeCloudsCopies();
  });

  // The CLI prints a failed check as `property <name> value {<value>} has a problem: <reason>` (the
  // value in Go's %v form: {} for ""); the reason is ours.
  it("bad inputs fail in check, each naming its property and fix, with no request to Keystone or Glance", async () => {
    const before = requests();
    const r = await stack.eng.up(
      (pkg) => {
        new pkg.ImageMember("bad-ids", { imageId: "", memberId: "a/b" });
      },
      { allowFailure: true },
    );
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain(`resource 'bad-ids': property imageId value {} has a problem: must not be empty: give the id of an image`);
    expect(r.message).toContain(`property memberId value {a/b} has a problem: "a/b" must not contain "/"`);
    // the engine stops at the first resource whose check fails: one bad resource per run
    const status = await stack.eng.up(
      (pkg) => {
        new pkg.ImageMember("bad-status", { imageId: "i", memberId: "m", status: "ACCEPTED" as never });
      },
      { allowFailure: true },
    );
    expect(status.message).toContain(
      `property status value {ACCEPTED} has a problem: "ACCEPTED" is not a member status: use one of "accepted", "pending", "rejected"; did you mean "accepted"?`,
    );
    const answer = await stack.eng.up(
      (pkg) => {
        new pkg.MemberAcceptance("bad-answer", { imageId: "i", statusOnDelete: "deleted" as never, waitForShareSeconds: -5 });
      },
      { allowFailure: true },
    );
    expect(answer.message).toContain(
      `property statusOnDelete value {deleted} has a problem: "deleted" is not allowed: use "rejected" or "pending"`,
    );
    expect(answer.message).toContain(
      "property waitForShareSeconds value {-5} has a problem: must be a number of seconds from 0 to 3600, not -5",
    );
    expect(requests()).toBe(before);
    expect(stack.eng.readState().resources.filter((x) => x.type.includes("glance"))).toEqual([]);
  });

  it("a create that shared the image but could not set its pinned status is recorded, retried on the next up, and destroyable", async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    const program: Program<Pkg> = (pkg) => {
      new pkg.ImageMember("pinned", { imageId: image, memberId: C, status: "accepted" });
    };
    // only an admin may force a status: the producer's create half-succeeds
    const r = await stack.eng.up(program, { allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(/created .*, but could not finish: PUT .* failed with 403/);
    const recorded = stack.eng.resource("pinned")!;
    expect(recorded.id).toBe(`${image}/${C}`);
    expect(recorded.initErrors?.[0]).toMatch(/only the member project itself/);
    // the next up tries again (an update even though nothing changed in the program)
    const again = await stack.eng.up(program, { allowFailure: true });
    expect(changes(again)).toEqual(["update:pinned"]);
    expect(again.exitCode).toBe(1);
    // nothing was lost: destroy removes the member the failed create made
    await stack.destroy();
    expect((await listMembersRaw(cloud.cloudsFile, "producer", image)).body.members).toEqual([]);
  });

  it("an admin can pin a member's status, and then a change of it is drift", async () => {
    const image = await createTestImage(cloud.cloudsFile, "admin", { visibility: "shared" });
    const program: Program<Pkg> = (pkg) => {
      new pkg.ImageMember("forced", { imageId: image, memberId: C, status: "accepted" });
    };
    await admin.up(program);
    expect((await getMemberRaw(cloud.cloudsFile, "admin", image, C)).body.status).toBe("accepted");
    await admin.expectNoDrift(program);
    await setMemberStatusRaw(cloud.cloudsFile, "consumer", image, C, "rejected");
    await admin.expectDrift(program);
    expect(changes(await admin.up(program, { refresh: true }))).toEqual(["update:forced"]);
    await admin.expectNoDrift(program);
    await admin.destroy();
  });

  it("no token the proxies saw appears in the state or in anything the plugin printed", () => {
    const texts = [stack, admin].flatMap((s) => [
      fs.existsSync(s.eng.statePath) ? fs.readFileSync(s.eng.statePath, "utf8") : "",
      ...s.results.flatMap((r) => [r.message ?? "", r.output]),
    ]);
    expect(keystone.stats().requests).toBeGreaterThan(0);
    for (const text of texts) {
      expect(keystone.containsSecret(text)).toBe(false);
      expect(glance.containsSecret(text)).toBe(false);
    }
  });
});
