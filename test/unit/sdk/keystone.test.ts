import { describe, expect } from "vitest";
import { forgetTokens, openImageService } from "../../../sdk/image-service";
import { test } from "../support/fake-fixture";

const body = (fake: { requests: { path: string; body: string }[] }) =>
  JSON.parse(fake.requests.find((r) => r.path.endsWith("/auth/tokens"))!.body) as { auth: Record<string, unknown> };

describe("Keystone v3 authentication", () => {
  test("a password with user and project by name and domain", async ({ fake, open }) => {
    forgetTokens();
    await open();
    expect(body(fake).auth).toEqual({
      identity: {
        methods: ["password"],
        password: { user: { name: "producer-user", domain: { name: "Default" }, password: expect.any(String) } },
      },
      scope: { project: { name: "producer", domain: { name: "Default" } } },
    });
  });

  test("a password with user and project by id", async ({ fake }) => {
    forgetTokens();
    await openImageService({ authUrl: fake.authUrl, userId: "uid", password: "pw", projectId: "pid" }, { env: {} });
    expect(body(fake).auth).toEqual({
      identity: { methods: ["password"], password: { user: { id: "uid", password: "pw" } } },
      scope: { project: { id: "pid" } },
    });
  });

  test("an application credential by id carries no explicit scope", async ({ fake }) => {
    forgetTokens();
    await openImageService({ authUrl: fake.authUrl, applicationCredentialId: "acid", applicationCredentialSecret: "acs" }, { env: {} });
    expect(body(fake).auth).toEqual({
      identity: { methods: ["application_credential"], application_credential: { id: "acid", secret: "acs" } },
    });
  });

  test("an application credential by name names its user", async ({ fake }) => {
    forgetTokens();
    await openImageService(
      {
        authUrl: fake.authUrl,
        applicationCredentialName: "ci",
        applicationCredentialSecret: "acs",
        username: "u",
        userDomainId: "default",
      },
      { env: {} },
    );
    expect(body(fake).auth).toEqual({
      identity: {
        methods: ["application_credential"],
        application_credential: { name: "ci", secret: "acs", user: { name: "u", domain: { id: "default" } } },
      },
    });
  });

  test("a token is exchanged for one scoped to the project", async ({ fake }) => {
    forgetTokens();
    await openImageService(
      { authUrl: fake.authUrl, token: "user-token", projectName: "producer", projectDomainId: "default" },
      { env: {} },
    );
    expect(body(fake).auth).toEqual({
      identity: { methods: ["token"], token: { id: "user-token" } },
      scope: { project: { name: "producer", domain: { id: "default" } } },
    });
  });

  test("an auth URL without a version means v3", async ({ fake }) => {
    forgetTokens();
    await openImageService({ authUrl: fake.authUrl.replace(/\/v3$/, "/"), userId: "u", password: "p", projectId: "p" }, { env: {} });
    expect(fake.tokenRequests).toBe(1);
  });

  test("a credential from OS_* variables works end to end", async ({ fake }) => {
    forgetTokens();
    const glance = await openImageService(
      {},
      {
        env: {
          OS_AUTH_URL: fake.authUrl,
          OS_USERNAME: "u",
          OS_USER_DOMAIN_ID: "default",
          OS_PASSWORD: "p",
          OS_PROJECT_ID: "pid",
          OS_INTERFACE: "internal",
        },
      },
    );
    expect(glance.endpoint).toBe(fake.imageUrl("RegionOne", "internal"));
  });
});
