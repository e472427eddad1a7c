import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudsFileVia, type FaultProxy, removeCloudsCopies, startFaultProxy } from "../../dev/harness/fault-proxy";
import { addMemberRaw, listMembersRaw } from "../../dev/harness/images";
import { REPO_ROOT } from "../../dev/harness/programs";
import type { Program } from "../../dev/harness/pulumi";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { expectNoLeaks } from "../support/leaks";
import { changes, newStack, type Pkg, type TestStack } from "./support";

/**
 * Upgrading a consumer stack from the 0.x component AcceptShares (`image-members:index:AcceptShares`
 * with one MemberAcceptance child per image, named `${name}-${imageId}`) to the one custom resource:
 * the first `up` with this version's program creates the AcceptShares, which finds every share
 * answered already, and drops the children, which leave the shares to it. No status changes in
 * Glance; a second plain `up` changes nothing.
 *
 * The old state is written by the real CLI from a program of the old shape (a component of the old
 * type, MemberAcceptance children under it), then its children's serialized providers are replaced
 * by the 0.1.x shim that test/fixtures/state-0.1.0.json holds (`stack export` → edit → `stack
 * import`): the children are deleted through the code such a state names.
 */
const cloud = testCloud();
const P = cloud.projects.producer;
const C = cloud.projects.consumer;
const ACCEPTANCE = "pulumi-nodejs:dynamic/glance:MemberAcceptance";
const COMPONENT = "image-members:index:AcceptShares";
const RESOURCE = "pulumi-nodejs:dynamic/glance:AcceptShares";
const SLOW = 300_000;
// other files share the suite's cloud: this one's images carry a name nobody else uses
const PREFIX = `upgrade-${Date.now().toString(36)}-`;

/** The serialized provider 0.1.x stored for a MemberAcceptance (a shim requiring pulumi-image-members/runtime). */
function shim010(): string {
  const fixture = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "state-0.1.0.json"), "utf8"));
  const acceptance = fixture.resources.find((r: { type: string }) => r.type === ACCEPTANCE);
  return acceptance.inputs.__provider as string;
}

describe("a consumer stack written with the AcceptShares component", () => {
  let glance: FaultProxy;
  let clouds: string;
  let savedClientConfig: string | undefined;
  let stack: TestStack;
  const images: string[] = [];

  // the 0.x component's shape, as its program declared it
  const oldProgram: Program<Pkg> = (pkg, { pulumi }) => {
    class OldAcceptShares extends pulumi.ComponentResource {
      constructor(name: string) {
        super(COMPONENT, name, {}, {});
        for (const imageId of images) new pkg.MemberAcceptance(`${name}-${imageId}`, { imageId, cloud: "consumer" }, { parent: this });
        this.registerOutputs({ imageIds: [...images].sort() });
      }
    }
    new OldAcceptShares("accept");
  };
  const program: Program<Pkg> = (pkg) => {
    const accept = new pkg.AcceptShares("accept", { owners: [P], nameMatch: `${PREFIX}*`, cloud: "consumer" });
    return { imageIds: accept.imageIds };
  };

  /** This project's membership of each image (status and when it last changed), read behind the stack's back. */
  const memberships = async () => {
    const out: Record<string, { status: string; updated_at: string }> = {};
    for (const id of images) {
      const m = (await listMembersRaw(cloud.cloudsFile, "consumer", id)).body.members.find((x: { member_id: string }) => x.member_id === C);
      out[id] = { status: m?.status, updated_at: m?.updated_at };
    }
    return out;
  };
  const puts = () => glance.log().filter((e) => e.method === "PUT");

  beforeAll(async () => {
    glance = await startFaultProxy(cloud.imageUrl);
    clouds = cloudsFileVia(cloud.cloudsFile, { glance: glance.url });
    // the listing runs in this process (the harness serves the inline program)
    savedClientConfig = process.env.OS_CLIENT_CONFIG_FILE;
    process.env.OS_CLIENT_CONFIG_FILE = clouds;
    for (let i = 0; i < 5; i++) {
      const id = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: `${PREFIX}${i}` });
      expect((await addMemberRaw(cloud.cloudsFile, "producer", id, C)).status).toBe(200);
      images.push(id);
    }
    stack = await newStack("accept-upgrade", {}, { OS_CLIENT_CONFIG_FILE: clouds });

    // the component's up, then its children's providers as 0.1.x stored them
    await stack.up(oldProgram);
    const deployment = await stack.eng.exportState();
    const shim = shim010();
    let children = 0;
    for (const r of deployment.resources) {
      if (r.type !== ACCEPTANCE) continue;
      r.inputs.__provider = shim;
      r.outputs.__provider = shim;
      children++;
    }
    expect(children).toBe(images.length);
    await stack.eng.importState(deployment);
  }, SLOW);

  afterAll(async () => {
    if (savedClientConfig === undefined) delete process.env.OS_CLIENT_CONFIG_FILE;
    else process.env.OS_CLIENT_CONFIG_FILE = savedClientConfig;
    await stack?.remove();
    await glance?.close();
    removeCloudsCopies();
  }, SLOW);

  it("the old state: a component of the old type, a MemberAcceptance child per image named after it, each with 0.1.x's provider", async () => {
    const children = stack.eng.resources().filter((r) => r.type === ACCEPTANCE);
    expect(children.map((r) => r.urn).sort()).toEqual(images.map((id) => stack.eng.urn(ACCEPTANCE, `accept-${id}`, [COMPONENT])).sort());
    for (const r of children) {
      expect(r.parent).toBe(stack.eng.urn(COMPONENT, "accept"));
      expect(String(r.inputs.__provider)).toContain('require("pulumi-image-members/runtime").memberAcceptanceProvider.delete(id, props)');
    }
    expect(Object.values(await memberships()).map((m) => m.status)).toEqual(images.map(() => "accepted"));
  });

  it(
    "the first up with this version changes no status: the children leave the state and the shares to the new resource",
    async () => {
      const before = await memberships();
      glance.reset();
      const up = await stack.up(program);
      const writes = puts();
      console.log(
        `[accept-upgrade] up after the upgrade: ${(up.ms / 1000).toFixed(1)} s, Glance requests ${JSON.stringify(glance.log().map((e) => `${e.method} ${e.path}`))}`,
      );
      expect(writes.map((e) => e.path)).toEqual([]);
      expect(up.errors).toEqual([]);
      expect(changes(up).sort()).toEqual(["create:accept", "delete:accept", ...images.map((id) => `delete:accept-${id}`)].sort());
      expect(up.outputs).toEqual({ imageIds: [...images].sort() });

      const left = stack.eng.resources().filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
      expect(left.map((r) => r.urn)).toEqual([stack.eng.urn(RESOURCE, "accept")]);
      expect(left[0].outputs).toMatchObject({
        imageIds: [...images].sort(),
        statuses: Object.fromEntries(images.map((id) => [id, "accepted"])),
        statusOnDelete: "rejected",
      });
      // Glance has every membership as it was, down to when it last changed
      expect(await memberships()).toEqual(before);
    },
    SLOW,
  );

  it(
    "a second plain up changes nothing, and both drift checks pass",
    async () => {
      glance.reset();
      const again = await stack.up(program);
      expect(changes(again)).toEqual([]);
      expect(puts()).toEqual([]);
      await stack.expectNoDrift(program);
      expect(puts()).toEqual([]);
    },
    SLOW,
  );

  it(
    "destroy leaves the shares rejected: the new resource holds them",
    async () => {
      await stack.destroy();
      expect(Object.values(await memberships()).map((m) => m.status)).toEqual(images.map(() => "rejected"));
    },
    SLOW,
  );

  it("no password or token in the state or the output", () => {
    expectNoLeaks({ stacks: [stack.eng], results: stack.results }, cloud.secrets, [glance]);
  });
});
