import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { cloudsFileVia, type FaultProxy, removeCloudsCopies, startFaultProxy } from "../../dev/harness/fault-proxy";
import { listMembersRaw } from "../../dev/harness/images";
import type { Program } from "../../dev/harness/pulumi";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { changes, expectNoSecrets, newStack, type Pkg, type TestStack } from "./support";

/**
 * What only the real CLI shows: stack-config credentials set with `pulumi config set --secret`, the
 * `import` option, and what the commands users run cost in requests and plugin processes.
 */
const cloud = testCloud();
const C = cloud.projects.consumer;

describe("credentials in stack config, the password set with --secret", () => {
  let stack: TestStack;
  let password: string;
  beforeAll(async () => {
    const auth = (parseYaml(fs.readFileSync(cloud.cloudsFile, "utf8")) as { clouds: Record<string, { auth: Record<string, string> }> })
      .clouds.producer.auth;
    password = auth.password;
    // `pulumi config set openstack:authUrl …`, …, `pulumi config set --secret openstack:password`
    stack = await newStack(
      "secret-config",
      {
        "openstack:authUrl": auth.auth_url,
        "openstack:userName": auth.username,
        "openstack:userDomainName": auth.user_domain_name,
        "openstack:tenantName": auth.project_name,
        "openstack:projectDomainName": auth.project_domain_name,
        "openstack:password": { secret: password },
      },
      {},
    );
  });
  afterAll(() => stack?.remove());

  it("shares through those credentials; the password is in neither the state file, `pulumi stack export`, the stack's config file nor any output", async () => {
    const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    const program: Program<Pkg> = (pkg) => {
      new pkg.ImageMember("via-config", { imageId: image, memberId: C });
    };
    expect(changes(await stack.up(program))).toEqual(["create:test-project-dev", "create:via-config"]);
    expect((await listMembersRaw(cloud.cloudsFile, "producer", image)).body.members.map((m: { member_id: string }) => m.member_id)).toEqual(
      [C],
    );
    await stack.expectNoDrift(program);
    // the provider's config is in the state, the password as a secret
    const provider = stack.eng.resources().find((r) => r.type === "pulumi:providers:pulumi-nodejs");
    expect(provider.inputs["openstack:password"]).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" });
    expect(fs.readFileSync(`${stack.prog.dir}/Pulumi.dev.yaml`, "utf8")).not.toContain(password);
    await stack.destroy();
    await expectNoSecrets(stack, [password, ...cloud.secrets]);
  });
});

describe("import", () => {
  let stack: TestStack;
  let image: string;
  beforeAll(async () => {
    image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    stack = await newStack("import", { "openstack:cloud": "producer" }, { OS_CLIENT_CONFIG_FILE: cloud.cloudsFile });
  });
  afterAll(() => stack?.remove());

  it("the import option is refused by the constructors, naming what to do instead, before any step", async () => {
    const member = await stack.eng.up(
      (pkg) => {
        new pkg.ImageMember("imported", { imageId: image, memberId: C }, { import: `${image}/${C}` });
      },
      { allowFailure: true },
    );
    expect(member.exitCode).toBe(1);
    expect(member.output).toContain(`ImageMember "imported": the import option cannot work for a Pulumi dynamic resource`);
    expect(member.output).toContain("set adoptExisting: true on it instead");
    expect(member.steps.filter((s) => s.type.includes("glance"))).toEqual([]);
    const acceptance = await stack.eng.up(
      (pkg) => {
        new pkg.MemberAcceptance("imported", { imageId: image, cloud: "consumer" }, { import: `${image}/${C}` });
      },
      { allowFailure: true },
    );
    expect(acceptance.exitCode).toBe(1);
    expect(acceptance.output).toContain("a MemberAcceptance always acts on the membership that exists");
  });
});

describe("requests and plugin processes of the commands users run", () => {
  const N = 20;
  let keystone: FaultProxy;
  let glance: FaultProxy;
  let stack: TestStack;
  let image: string;
  const program: Program<Pkg> = (pkg) => {
    for (let i = 0; i < N; i++) new pkg.ImageMember(`m-${i}`, { imageId: image, memberId: `project-${i}` });
  };
  const counts = () => {
    const log = glance.log();
    const r = {
      token: keystone.log().filter((e) => e.method === "POST" && e.path.endsWith("/auth/tokens")).length,
      post: log.filter((e) => e.method === "POST").length,
      list: log.filter((e) => e.method === "GET" && e.path.endsWith("/members")).length,
      getOne: log.filter((e) => e.method === "GET" && /\/members\/[^/]+$/.test(e.path)).length,
      delete: log.filter((e) => e.method === "DELETE").length,
    };
    keystone.reset();
    glance.reset();
    return r;
  };

  beforeAll(async () => {
    keystone = await startFaultProxy(new URL(cloud.authUrl).origin);
    glance = await startFaultProxy(cloud.imageUrl);
    image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
    stack = await newStack(
      "requests",
      { "openstack:cloud": "producer" },
      { OS_CLIENT_CONFIG_FILE: cloudsFileVia(cloud.cloudsFile, { keystone: keystone.url, glance: glance.url }) },
    );
    counts();
  });
  afterAll(async () => {
    await stack?.remove();
    await Promise.all([keystone?.close(), glance?.close()]);
    removeCloudsCopies();
  });

  it("`pulumi up` with its preview: two plugin processes, of which only the update's asks Keystone (one token); one POST per member", async () => {
    const up = await stack.up(program, { withPreview: true });
    const c = counts();
    console.log(`[cli-only] up with preview: ${up.plugins.length} plugin processes, ${JSON.stringify(c)}`);
    expect(up.plugins).toHaveLength(2);
    expect(c).toEqual({ token: 1, post: N, list: 0, getOne: 0, delete: 0 });
  });

  it("`pulumi refresh`: one plugin process, one token, one member list for the N members", async () => {
    const refresh = await stack.eng.refresh();
    const c = counts();
    console.log(`[cli-only] refresh: ${refresh.plugins.length} plugin processes, ${JSON.stringify(c)}`);
    expect(refresh.plugins).toHaveLength(1);
    expect(c).toEqual({ token: 1, post: 0, list: 1, getOne: 0, delete: 0 });
  });

  it("`pulumi preview --refresh --expect-no-changes`: two plugin processes, one of which asks Glance (one token, one list)", async () => {
    const check = await stack.eng.preview(program, { refresh: true, expectNoChanges: true });
    const c = counts();
    console.log(`[cli-only] preview --refresh: ${check.plugins.length} plugin processes, ${JSON.stringify(c)}`);
    expect(check.plugins).toHaveLength(2);
    expect(c).toEqual({ token: 1, post: 0, list: 1, getOne: 0, delete: 0 });
  });

  it("`pulumi destroy`: one plugin process, one token, one DELETE per member", async () => {
    const destroy = await stack.destroy();
    const c = counts();
    console.log(`[cli-only] destroy: ${destroy.plugins.length} plugin processes, ${JSON.stringify(c)}`);
    expect(destroy.plugins).toHaveLength(1);
    expect(c).toEqual({ token: 1, post: 0, list: 0, getOne: 0, delete: N });
  });
});
