import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cloudsFileVia } from "../../dev/harness/fault-proxy";
import { addMemberRaw, getMemberRaw, session, setMemberStatusRaw } from "../../dev/harness/images";
import { diagnostics } from "../support/cli-output";
import { createTestImage } from "../support/images";
import {
  type CaseOptions,
  type CaseProgram,
  type CaseResult,
  IM,
  MA,
  noOsEnv,
  type Pkg,
  Rig,
  stepError,
  withGlanceWording,
} from "./harness";

/**
 * Bad settings and credentials, and requests Glance refuses, through the real Pulumi CLI as `pulumi up`
 * shows them. Each fails with its exact message (Glance's own sentence, which differs between policy
 * modes, matched loosely) on the one resource of the case, followed by the CLI's own `update failed`;
 * nothing lands in the state, no member of any image involved changes, and the counting proxies in
 * front of Keystone and Glance show exactly which requests the up's one plugin process sent: none when
 * the settings are wrong, one refused token request for wrong credentials, one refused Glance call
 * (and no retry) when Glance says no, and one read of the membership a create met (409), which it
 * takes over only when nobody has answered it. No password, application-credential secret or token
 * appears in anything the stack wrote, the CLI's or the plugin's output, its events or any message.
 */
let rig: Rig;
/** An application credential of the producer's user, made for these tests (deleted afterwards). */
let appCred: { id: string; secret: string } | undefined;
const WRONG_PASSWORD = "wrong-password-3f9c1e7a";
const WRONG_APP_SECRET = "wrong-app-secret-77d2b0c4";

const TOKENS = "/v3/auth/tokens";
const membersPath = (image: string) => `/v2/images/${image}/members`;

beforeAll(async () => {
  rig = await Rig.start("bad-settings");
  const s = await session(rig.cloud.cloudsFile, "producer");
  const r = await fetch(`${s.authUrl}/users/${s.userId}/application_credentials`, {
    method: "POST",
    headers: { "x-auth-token": s.token, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ application_credential: { name: `bad-input-${Date.now().toString(36)}` } }),
  });
  expect(r.status, "creating an application credential for the producer's user").toBe(201);
  const body = (await r.json()) as { application_credential: { id: string; secret: string } };
  appCred = { id: body.application_credential.id, secret: body.application_credential.secret };
});

afterAll(async () => {
  if (appCred) {
    const s = await session(rig.cloud.cloudsFile, "producer");
    await fetch(`${s.authUrl}/users/${s.userId}/application_credentials/${appCred.id}`, {
      method: "DELETE",
      headers: { "x-auth-token": s.token },
    });
  }
  await rig?.stop();
});

afterEach(() => rig.expectNoLeaks(WRONG_PASSWORD, WRONG_APP_SECRET, ...(appCred ? [appCred.secret] : [])));

/** A case that fails at a step (not at a check): the CLI closes with `update failed`, and the up ran
 *  in one plugin process (`pulumi up --skip-preview` starts one: counted, not assumed), so the request
 *  counts below are those of one process, token cache and all. */
async function failingUp(program: CaseProgram, opts?: CaseOptions): Promise<CaseResult> {
  const r = await rig.failingUp(program, opts);
  expect(r.closing).toEqual(["update failed"]);
  expect(r.plugins, "plugin processes of the up").toHaveLength(1);
  return r;
}

const member =
  (args: Record<string, unknown> = {}) =>
  (pkg: Pkg) => {
    new pkg.ImageMember("m", { imageId: rig.image, memberId: "new-member", ...args } as never);
  };
const m = (message: string) => stepError(IM, "m", message);
/** The refusal of a create that met a membership it may not take over (`state`: `<status> since <updated_at>`). */
const alreadyShared = (image: string, memberId: string, state: string) =>
  `ImageMember: image ${image} is already shared with project ${memberId} (a membership this stack did not create, ${state}) — ` +
  "set adoptExisting: true on this ImageMember to take it over, or remove the membership first (Pulumi cannot import dynamic resources)";
/** A membership as Glance's API returns it. */
interface GlanceMember {
  status: string;
  created_at: string;
  updated_at: string;
}
const keystoneUrl = () => `${rig.keystone.url}/v3`;

describe("clouds.yaml", () => {
  it("OS_CLIENT_CONFIG_FILE pointing nowhere", async () => {
    const r = await failingUp(member(), { env: { OS_CLIENT_CONFIG_FILE: "/nonexistent/openstack/clouds.yaml" } });
    expect(r.errors).toEqual([
      m(
        "OS_CLIENT_CONFIG_FILE names /nonexistent/openstack/clouds.yaml, which does not exist — point OS_CLIENT_CONFIG_FILE at your clouds.yaml or unset it",
      ),
    ]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("a clouds.yaml that is not valid YAML: the position only, never the line (it may hold the password)", async () => {
    const broken = `      password: "${rig.cloud.password ?? "placeholder-password"}" [`;
    const file = rig.writeFile(
      "clouds.yaml",
      ["clouds:", "  producer:", "    auth:", `      auth_url: "${keystoneUrl()}"`, broken, "      username: producer-user", ""].join("\n"),
    );
    const r = await failingUp(member(), { env: { OS_CLIENT_CONFIG_FILE: file } });
    // the parser stops at the stray "[" after the password's closing quote
    expect(r.errors).toEqual([m(`${file} is not valid YAML (line 5, column ${broken.indexOf("[") + 1}) — fix the file's syntax`)]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("an unknown cloud name in the stack config", async () => {
    const r = await failingUp(member(), { config: { "openstack:cloud": "prodcuer" } });
    expect(r.errors).toEqual([
      m(
        `${rig.cloudsFile} has no cloud named "prodcuer" (it has: producer, consumer, outsider, admin) — fix the cloud name or add the entry`,
      ),
    ]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("an unknown cloud name as the resource's cloud", async () => {
    const r = await failingUp(member({ cloud: "staging" }));
    expect(r.errors).toEqual([
      m(
        `${rig.cloudsFile} has no cloud named "staging" (it has: producer, consumer, outsider, admin) — fix the cloud name or add the entry`,
      ),
    ]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("an entry without its password", async () => {
    const file = rig.editedClouds((doc) => delete doc.clouds.producer.auth.password);
    const r = await failingUp(member(), { env: { OS_CLIENT_CONFIG_FILE: file } });
    expect(r.errors).toEqual([m(`clouds.yaml entry "producer" (${file}): password authentication needs auth.password — set it there`)]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("an unreadable CA file (missing, or a directory)", async () => {
    const missing = await failingUp(member(), { config: { "openstack:cloud": "producer", "openstack:cacertFile": "/nonexistent/ca.pem" } });
    expect(missing.errors).toEqual([
      m("cannot read the CA file /nonexistent/ca.pem: ENOENT — point cacertFile (or clouds.yaml cacert, OS_CACERT) at a readable PEM file"),
    ]);
    const dir = rig.tempDir();
    const directory = await failingUp(member(), {
      env: { OS_CLIENT_CONFIG_FILE: rig.editedClouds((doc) => (doc.clouds.producer.cacert = dir)) },
    });
    expect(directory.errors).toEqual([
      m(`cannot read the CA file ${dir}: EISDIR — point cacertFile (or clouds.yaml cacert, OS_CACERT) at a readable PEM file`),
    ]);
    expect([...missing.keystone, ...missing.glance, ...directory.keystone, ...directory.glance]).toEqual([]);
  });
});

describe("stack config and environment", () => {
  it("no credentials anywhere", async () => {
    const r = await failingUp(member(), { config: {}, env: noOsEnv() });
    expect(r.errors).toEqual([
      m(
        "no OpenStack credentials found — set the resource's `cloud` (a clouds.yaml entry), the stack config openstack:cloud or openstack:authUrl and friends, OS_CLOUD, or OS_AUTH_URL with OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME",
      ),
    ]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("stack config missing pieces of a password credential names each key to set", async () => {
    const r = await failingUp(member(), {
      config: { "openstack:authUrl": keystoneUrl(), "openstack:userName": "producer-user" },
      env: noOsEnv(),
    });
    expect(r.errors).toEqual([
      m(
        "the stack config (openstack:*): password authentication needs openstack:userDomainId or openstack:userDomainName, " +
          "openstack:password, openstack:tenantId or openstack:tenantName — set them there (secrets with `pulumi config set --secret`)",
      ),
    ]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("openstack:insecure that is not a boolean", async () => {
    const r = await failingUp(member(), { config: { "openstack:cloud": "producer", "openstack:insecure": "maybe" } });
    expect(r.errors).toEqual([m('openstack:insecure must be true or false, not "maybe"')]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  it("openstack:endpointOverrides that is not JSON", async () => {
    const r = await failingUp(member(), {
      config: { "openstack:cloud": "producer", "openstack:endpointOverrides": "image=http://glance" },
    });
    expect(r.errors).toEqual([m('openstack:endpointOverrides must be a JSON object such as {"image": "https://glance.example:9292"}')]);
    expect([...r.keystone, ...r.glance]).toEqual([]);
  });

  // the error names where the bad interface was set, not the auth source
  it("openstack:endpointType that is not an interface names the stack config key", async () => {
    const r = await failingUp(member(), { config: { "openstack:cloud": "producer", "openstack:endpointType": "private" } });
    expect([...r.keystone, ...r.glance]).toEqual([]);
    expect(r.errors).toEqual([m('the stack config (openstack:endpointType): interface "private" must be public, internal or admin')]);
  });
});

describe("credentials Keystone refuses", () => {
  it("a wrong password (a stack-config secret over the clouds.yaml entry): one token request, refused, not retried", async () => {
    const r = await failingUp(member(), { config: { "openstack:cloud": "producer", "openstack:password": { secret: WRONG_PASSWORD } } });
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          m(
            `Keystone at ${keystoneUrl()} refused the password credentials from clouds.yaml entry "producer" (${rig.cloudsFile}) with the stack config (openstack:*): 401 `,
          ),
          " — check the user, password, project and their domains",
        ),
      ),
    ]);
    expect(r.keystone).toEqual([`POST ${TOKENS} 401`]);
    expect(r.glance).toEqual([]);
  });

  it("a wrong application-credential secret", async () => {
    const file = rig.editedClouds((doc) => {
      doc.clouds["producer-app"] = {
        auth_type: "v3applicationcredential",
        auth: { auth_url: keystoneUrl(), application_credential_id: appCred!.id, application_credential_secret: WRONG_APP_SECRET },
        image_endpoint_override: rig.glance.url,
      };
    });
    const r = await failingUp(member(), { config: { "openstack:cloud": "producer-app" }, env: { OS_CLIENT_CONFIG_FILE: file } });
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          m(`Keystone at ${keystoneUrl()} refused the application credential from clouds.yaml entry "producer-app" (${file}): 401 `),
          " — check the application credential's id or name and secret, and that it has not expired",
        ),
      ),
    ]);
    expect(r.keystone).toEqual([`POST ${TOKENS} 401`]);
    expect(r.glance).toEqual([]);
  });

  it("the right application credential works, and its secret appears nowhere", async () => {
    const file = rig.editedClouds((doc) => {
      doc.clouds["producer-app"] = {
        auth_type: "v3applicationcredential",
        auth: { auth_url: keystoneUrl(), application_credential_id: appCred!.id, application_credential_secret: appCred!.secret },
        image_endpoint_override: rig.glance.url,
      };
    });
    const eng = await rig.newStack({ "openstack:cloud": "producer-app" }, { OS_CLIENT_CONFIG_FILE: file });
    const program = member({ memberId: "app-cred-member" });
    const up = rig.leaks.result(await eng.up(program));
    // the stack and the member (the CLI does not count its default provider)
    expect(up.summary).toEqual({ create: 2 });
    expect(await rig.members({ id: rig.image, owner: "producer" })).toContain("app-cred-member:pending");
    rig.leaks.result(await eng.preview(program, { refresh: true, expectNoChanges: true }));
    rig.leaks.result(await eng.destroy());
    expect(await rig.members({ id: rig.image, owner: "producer" })).toEqual(["existing-member:pending"]);
    expect(rig.keystone.secretsSeen).toBeGreaterThan(0); // the leak check after this test looks for real tokens
  });

  it("an unknown region: the catalog's offers are listed; Glance is not asked", async () => {
    // Keystone through the counting proxy, Glance from the catalog (an image_endpoint_override would
    // bypass the catalog, and with it the region)
    const file = cloudsFileVia(rig.cloud.cloudsFile, { keystone: rig.keystone.url });
    const catalogOffers = await offeredImageEndpoints();
    const r = await failingUp(member({ region: "Atlantis" }), { env: { OS_CLIENT_CONFIG_FILE: file } });
    expect(r.errors).toEqual([
      m(
        `no public image endpoint in region "Atlantis" in the service catalog for clouds.yaml entry "producer" (${file}) ` +
          `(it offers: ${catalogOffers}) — set region and interface to one of those, or imageEndpoint to Glance's URL`,
      ),
    ]);
    expect(r.keystone).toEqual([`POST ${TOKENS} 201`]);
  });
});

describe("requests Glance refuses: one call, no retry, a hint that says why", () => {
  it("a private image (not shared)", async () => {
    const image = await createTestImage(rig.cloud.cloudsFile, "producer", { visibility: "private", name: "bad-input-private" });
    const r = await failingUp(member({ imageId: image }), { images: [{ id: image, owner: "producer" }] });
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          m(`POST ${rig.glance.url}${membersPath(image)} failed with 403: `),
          ` — image ${image} has visibility "private": only images with visibility "shared" have members (openstack image set --shared ${image})`,
        ),
      ),
    ]);
    expect(r.glance).toEqual([`POST ${membersPath(image)} 403`, `GET /v2/images/${image} 200`]);
  });

  it("an image another project owns, shared with this one", async () => {
    const image = await createTestImage(rig.cloud.cloudsFile, "outsider", { visibility: "shared", name: "bad-input-foreign" });
    expect((await addMemberRaw(rig.cloud.cloudsFile, "outsider", image, rig.cloud.projects.producer)).status).toBe(200);
    const r = await failingUp(member({ imageId: image }), { images: [{ id: image, owner: "outsider" }] });
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          m(`POST ${rig.glance.url}${membersPath(image)} failed with 403: `),
          ` — image ${image} is owned by project ${rig.cloud.projects.outsider}, not by this credential's project ${rig.cloud.projects.producer}: only the owner adds or removes members`,
        ),
      ),
    ]);
    expect(r.glance).toEqual([`POST ${membersPath(image)} 403`, `GET /v2/images/${image} 200`]);
  });

  it("an image another project owns, not visible to this one", async () => {
    const image = await createTestImage(rig.cloud.cloudsFile, "outsider", { visibility: "shared", name: "bad-input-hidden" });
    const r = await failingUp(member({ imageId: image }), { images: [{ id: image, owner: "outsider" }] });
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          m(`POST ${rig.glance.url}${membersPath(image)} failed with 404: `),
          ` — image ${image} does not exist or is not visible to project ${rig.cloud.projects.producer}`,
        ),
      ),
    ]);
    expect(r.glance).toEqual([`POST ${membersPath(image)} 404`]);
  });

  it("a nonexistent image", async () => {
    const image = "00000000-0000-4000-8000-000000000000";
    const r = await failingUp(member({ imageId: image }));
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          m(`POST ${rig.glance.url}${membersPath(image)} failed with 404: `),
          ` — image ${image} does not exist or is not visible to project ${rig.cloud.projects.producer}`,
        ),
      ),
    ]);
    expect(r.glance).toEqual([`POST ${membersPath(image)} 404`]);
  });

  it("a membership that exists already and that its consumer answered, without adoptExisting", async () => {
    const image = await createTestImage(rig.cloud.cloudsFile, "producer", { visibility: "shared", name: "bad-input-answered" });
    const consumer = rig.cloud.projects.consumer;
    expect((await addMemberRaw(rig.cloud.cloudsFile, "producer", image, consumer)).status).toBe(200);
    expect((await setMemberStatusRaw(rig.cloud.cloudsFile, "consumer", image, consumer, "rejected")).status).toBe(200);
    const answered = (await getMemberRaw(rig.cloud.cloudsFile, "producer", image, consumer)).body as GlanceMember;
    expect(answered.status).toBe("rejected");
    const r = await failingUp(member({ imageId: image, memberId: consumer }), { images: [{ id: image, owner: "producer" }] });
    expect(r.errors).toEqual([m(alreadyShared(image, consumer, `rejected since ${answered.updated_at}`))]);
    // the create's POST, then one look at the membership it met
    expect(r.glance).toEqual([`POST ${membersPath(image)} 409`, `GET ${membersPath(image)}/${consumer} 200`]);
  });

  it("a membership nobody answered (what a killed up leaves): adoptExisting false refuses it; unset, the create takes it over with a warning", async () => {
    const image = await createTestImage(rig.cloud.cloudsFile, "producer", { visibility: "shared", name: "bad-input-unanswered" });
    const consumer = rig.cloud.projects.consumer;
    expect((await addMemberRaw(rig.cloud.cloudsFile, "producer", image, consumer)).status).toBe(200);
    const made = (await getMemberRaw(rig.cloud.cloudsFile, "producer", image, consumer)).body as GlanceMember;
    expect([made.status, made.updated_at]).toEqual(["pending", made.created_at]);
    const images = [{ id: image, owner: "producer" as const }];

    const refused = await failingUp(member({ imageId: image, memberId: consumer, adoptExisting: false }), { images });
    expect(refused.errors).toEqual([m(alreadyShared(image, consumer, `pending since ${made.updated_at}`))]);
    expect(refused.glance).toEqual([`POST ${membersPath(image)} 409`, `GET ${membersPath(image)}/${consumer} 200`]);

    const stack = await rig.newStack({ "openstack:cloud": "producer" }, { OS_CLIENT_CONFIG_FILE: rig.cloudsFile });
    const program = member({ imageId: image, memberId: consumer });
    rig.keystone.reset();
    rig.glance.reset();
    const up = rig.leaks.result(await stack.up(program));
    expect(up.summary).toEqual({ create: 2 });
    expect(up.plugins, "plugin processes of the up").toHaveLength(1);
    expect(rig.keystone.log().map((e) => `${e.method} ${e.path} ${e.clientSaw}`)).toEqual([`POST ${TOKENS} 201`]);
    expect(rig.glance.log().map((e) => `${e.method} ${e.path} ${e.clientSaw}`)).toEqual([
      `POST ${membersPath(image)} 409`,
      `GET ${membersPath(image)}/${consumer} 200`,
    ]);
    const warning =
      `ImageMember: took over the membership of project ${consumer} in image ${image}, created ${made.created_at} and never answered: ` +
      "what a `pulumi up` of this stack that was killed mid-create leaves behind. If another stack manages it, remove it from one of " +
      "them; set adoptExisting: false to refuse such memberships instead.";
    // the CLI does not get it as a warning of the resource: the plugin has no engine to log to, so
    // @pulumi/pulumi writes `warning: [runtime] <message>` on the plugin's stderr, which the CLI turns
    // into a diagnostic of severity info#err without a URN and lists under the stack
    expect(diagnostics(up)).toEqual([{ severity: "info#err", urn: undefined, message: `warning: [runtime] ${warning}` }]);
    expect(up.stdout).toContain(
      `Diagnostics:\n  pulumi:pulumi:Stack (${stack.project}-${stack.stackName}):\n    warning: [runtime] ${warning}\n`,
    );
    // the state holds the membership as Glance has it; Glance still has it, unanswered
    const recorded = stack.resource("m");
    expect([recorded?.id, recorded?.outputs.createdAt]).toEqual([`${image}/${consumer}`, made.created_at]);
    expect(await rig.members({ id: image, owner: "producer" })).toEqual([`${consumer}:pending`]);
    rig.leaks.result(await stack.preview(program, { refresh: true, expectNoChanges: true }));
    rig.leaks.result(await stack.destroy());
    expect(await rig.members({ id: image, owner: "producer" })).toEqual([]);
  });

  it("a consumer adding a member to the producer's image (which it cannot see)", async () => {
    const r = await failingUp(member(), { config: { "openstack:cloud": "consumer" } });
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          m(`POST ${rig.glance.url}${membersPath(rig.image)} failed with 404: `),
          ` — image ${rig.image} does not exist or is not visible to project ${rig.cloud.projects.consumer}`,
        ),
      ),
    ]);
    expect(r.glance).toEqual([`POST ${membersPath(rig.image)} 404`]);
  });

  it("MemberAcceptance of an image not shared with the consumer (waitForShareSeconds 0)", async () => {
    const r = await failingUp((pkg) => new pkg.MemberAcceptance("a", { imageId: rig.image }), {
      config: { "openstack:cloud": "consumer" },
    });
    expect(r.errors).toEqual([
      stepError(
        MA,
        "a",
        `MemberAcceptance: image ${rig.image} is not shared with project ${rig.cloud.projects.consumer} — ` +
          "the producer must add this project as a member first; set waitForShareSeconds to wait for it",
      ),
    ]);
    expect(r.glance).toEqual([`PUT ${membersPath(rig.image)}/${rig.cloud.projects.consumer} 404`]);
  });

  it("the producer's credential setting the consumer's status", async () => {
    const image = await createTestImage(rig.cloud.cloudsFile, "producer", { visibility: "shared", name: "bad-input-status" });
    const consumer = rig.cloud.projects.consumer;
    expect((await addMemberRaw(rig.cloud.cloudsFile, "producer", image, consumer)).status).toBe(200);
    const r = await failingUp((pkg) => new pkg.MemberAcceptance("a", { imageId: image, memberId: consumer }), {
      images: [{ id: image, owner: "producer" }],
    });
    expect(r.errors).toEqual([
      expect.stringMatching(
        withGlanceWording(
          stepError(MA, "a", `PUT ${rig.glance.url}${membersPath(image)}/${consumer} failed with 403: `),
          ` — only the member project itself (${consumer}) may set its status: use that project's credentials, not the image owner's`,
        ),
      ),
    ]);
    expect(r.glance).toEqual([`PUT ${membersPath(image)}/${consumer} 403`]);
  });
});

/** The image endpoints the producer's catalog offers, as the SDK lists them (`region/interface`). */
async function offeredImageEndpoints(): Promise<string> {
  const s = await session(rig.cloud.cloudsFile, "producer");
  const r = await fetch(`${s.authUrl}/auth/catalog`, { headers: { "x-auth-token": s.token, accept: "application/json" } });
  expect(r.status).toBe(200);
  const { catalog } = (await r.json()) as {
    catalog: { type: string; endpoints: { interface: string; region_id?: string; region?: string }[] }[];
  };
  const endpoints = catalog.filter((c) => c.type === "image").flatMap((c) => c.endpoints);
  return [...new Set(endpoints.map((e) => `${e.region_id ?? e.region ?? "(no region)"}/${e.interface}`))].join(", ");
}
