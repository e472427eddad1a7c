import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stackConfigKeys } from "../../../provider/stack-config";
import { type Field, type SettingSource, settingFields, settingSources } from "../../../sdk/setting-sources";
import { resolveCloud } from "../../../sdk/settings";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "settings-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const clouds = write(
  "clouds.yaml",
  `
clouds:
  producer:
    auth:
      auth_url: http://keystone.example:5000/v3
      username: producer-user
      user_domain_name: Default
      project_name: producer
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
    image_endpoint_override: http://glance.example:9292/v2/
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://keystone.example:5000
      application_credential_id: ac-id
      application_credential_secret: ac-secret
    verify: false
  incomplete:
    auth:
      auth_url: http://keystone.example:5000/v3
      username: someone
  private-ca:
    auth:
      auth_url: https://keystone.example:5000/v3
      application_credential_id: ac-id
      application_credential_secret: ac-secret
    verify: ${path.join(dir, "private-ca.pem")}
  verify-text:
    auth:
      auth_url: https://keystone.example:5000/v3
      application_credential_id: ac-id
      application_credential_secret: ac-secret
    verify: "no"
`,
);
write(
  "secure.yaml",
  `
clouds:
  producer:
    auth:
      password: from-secure-yaml
`,
);
const env = { OS_CLIENT_CONFIG_FILE: clouds, OS_CLIENT_SECURE_FILE: path.join(dir, "secure.yaml") };

describe("the auth source", () => {
  it("is the clouds.yaml entry the cloud option names, with secure.yaml merged over it", () => {
    const c = resolveCloud({ cloud: "producer" }, {}, env);
    expect(c.auth).toMatchObject({
      method: "password",
      username: "producer-user",
      password: "from-secure-yaml",
      projectName: "producer",
      userDomainName: "Default",
    });
    expect(c.source).toContain('clouds.yaml entry "producer"');
    expect(c).toMatchObject({ region: "RegionOne", interface: "internal", imageEndpoint: "http://glance.example:9292" });
  });

  it("lets explicit credential options override the named entry", () => {
    const c = resolveCloud({ cloud: "producer", password: "explicit", projectId: "p-id" }, {}, env);
    expect(c.auth).toMatchObject({ password: "explicit", projectId: "p-id", username: "producer-user" });
  });

  it("prefers the cloud option over stack config, OS_CLOUD and OS_* variables", () => {
    const c = resolveCloud(
      { cloud: "producer" },
      { "openstack:authUrl": "http://stack:5000", "openstack:userName": "x" },
      { ...env, OS_CLOUD: "appcred", OS_AUTH_URL: "http://env:5000" },
    );
    expect(c.auth.authUrl).toBe("http://keystone.example:5000/v3");
  });

  it("uses stack config with @pulumi/openstack key names when no cloud option is given", () => {
    const c = resolveCloud(
      {},
      {
        "openstack:authUrl": "http://stack:5000/v3",
        "openstack:userName": "u",
        "openstack:password": "p",
        "openstack:tenantName": "t",
        "openstack:userDomainName": "Default",
        "openstack:projectDomainName": "Default",
      },
      { ...env, OS_CLOUD: "appcred" },
    );
    expect(c.auth).toMatchObject({ method: "password", authUrl: "http://stack:5000/v3", username: "u", projectName: "t" });
    expect(c.source).toBe("the stack config (openstack:*)");
  });

  it("lets openstack:cloud name a base entry that other stack keys override", () => {
    const c = resolveCloud({}, { "openstack:cloud": "producer", "openstack:tenantName": "other" }, env);
    expect(c.auth).toMatchObject({ username: "producer-user", projectName: "other", password: "from-secure-yaml" });
  });

  it("falls back to the entry OS_CLOUD names, then to OS_* variables", () => {
    expect(resolveCloud({}, {}, { ...env, OS_CLOUD: "appcred", OS_AUTH_URL: "http://env:5000" }).auth).toMatchObject({
      method: "application_credential",
      applicationCredentialId: "ac-id",
    });
    const c = resolveCloud(
      {},
      {},
      {
        OS_AUTH_URL: "http://env:5000/v3",
        OS_USER_ID: "uid",
        OS_PASSWORD: "pw",
        OS_PROJECT_ID: "pid",
        OS_REGION_NAME: "R2",
      },
    );
    expect(c.auth).toMatchObject({ method: "password", userId: "uid", projectId: "pid" });
    expect(c.region).toBe("R2");
  });

  it("understands an application credential by name with its user", () => {
    const c = resolveCloud(
      {
        authUrl: "http://k:5000",
        applicationCredentialName: "ci",
        applicationCredentialSecret: "s",
        username: "u",
        userDomainId: "default",
      },
      {},
      {},
    );
    expect(c.auth).toMatchObject({
      method: "application_credential",
      applicationCredentialName: "ci",
      username: "u",
      userDomainId: "default",
    });
  });

  it("understands a token with a project", () => {
    expect(resolveCloud({ authUrl: "http://k:5000", token: "t", projectId: "p" }, {}, {}).auth).toMatchObject({
      method: "token",
      token: "t",
    });
  });
});

describe("missing pieces", () => {
  it("are named in the source's own vocabulary", () => {
    expect(() => resolveCloud({ cloud: "incomplete" }, {}, env)).toThrow(
      /clouds.yaml entry "incomplete" .*: password authentication needs auth.user_domain_id or auth.user_domain_name, auth.password, auth.project_id or auth.project_name/,
    );
    expect(() =>
      resolveCloud({}, { "openstack:authUrl": "http://k", "openstack:userName": "u", "openstack:userDomainName": "D" }, {}),
    ).toThrow(/stack config .*needs openstack:password, openstack:tenantId or openstack:tenantName.*--secret/);
    expect(() => resolveCloud({}, {}, { OS_AUTH_URL: "http://k", OS_APPLICATION_CREDENTIAL_ID: "x" })).toThrow(
      /OS_\* environment variables: application credential authentication needs OS_APPLICATION_CREDENTIAL_SECRET/,
    );
  });

  it("with no source at all, says where credentials can come from", () => {
    expect(() => resolveCloud({}, {}, {})).toThrow(/no OpenStack credentials found.*OS_CLOUD/);
  });

  it("an unknown cloud lists the entries there are", () => {
    expect(() => resolveCloud({ cloud: "nope" }, {}, env)).toThrow(
      /has no cloud named "nope" \(it has: producer, appcred, incomplete, private-ca, verify-text\)/,
    );
  });

  it("a missing clouds.yaml named by OS_CLIENT_CONFIG_FILE is an error, not a reason to look elsewhere", () => {
    expect(() => resolveCloud({ cloud: "producer" }, {}, { OS_CLIENT_CONFIG_FILE: path.join(dir, "missing.yaml") })).toThrow(
      /OS_CLIENT_CONFIG_FILE names .*missing.yaml, which does not exist/,
    );
  });

  it("a broken clouds.yaml is reported by position without quoting its lines", () => {
    const broken = write("broken.yaml", "clouds:\n  x:\n    auth: {password: hunter2-secret\n");
    let message = "";
    try {
      resolveCloud({ cloud: "x" }, {}, { OS_CLIENT_CONFIG_FILE: broken });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/broken.yaml is not valid YAML \(line \d+, column \d+\)/);
    expect(message).not.toContain("hunter2");
  });

  it("an unreadable CA file is named", () => {
    expect(() => resolveCloud({ cloud: "producer", cacertFile: path.join(dir, "no-ca.pem") }, {}, env)).toThrow(
      /cannot read the CA file .*no-ca.pem: ENOENT/,
    );
  });
});

describe("settings, per key", () => {
  it("take the option first, then stack config, then the entry, then OS_REGION_NAME/OS_INTERFACE/OS_CACERT", () => {
    const ca = write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    const withEnv = { ...env, OS_REGION_NAME: "EnvRegion", OS_INTERFACE: "admin", OS_CACERT: ca };
    expect(resolveCloud({ cloud: "producer", region: "OptRegion" }, { "openstack:region": "StackRegion" }, withEnv).region).toBe(
      "OptRegion",
    );
    expect(resolveCloud({ cloud: "producer" }, { "openstack:region": "StackRegion" }, withEnv).region).toBe("StackRegion");
    expect(resolveCloud({ cloud: "producer" }, {}, withEnv).region).toBe("RegionOne");
    const fromEnv = resolveCloud({ cloud: "appcred" }, {}, withEnv);
    expect(fromEnv).toMatchObject({ region: "EnvRegion", interface: "admin", cacertFile: ca });
    expect(resolveCloud({ cloud: "producer" }, { "openstack:endpointType": "publicURL" }, env).interface).toBe("public");
    expect(resolveCloud({ cloud: "producer" }, { "openstack:endpointOverrides": '{"image":"https://g:9292/"}' }, env).imageEndpoint).toBe(
      "https://g:9292",
    );
  });

  it("verify: false in clouds.yaml means insecure; openstack:insecure and the option override it", () => {
    expect(resolveCloud({ cloud: "appcred" }, {}, env).insecure).toBe(true);
    expect(resolveCloud({ cloud: "appcred" }, { "openstack:insecure": "false" }, env).insecure).toBe(false);
    expect(resolveCloud({ cloud: "appcred", insecure: false }, { "openstack:insecure": "true" }, env).insecure).toBe(false);
  });

  it("verify: <path> in clouds.yaml is the CA file to verify with (openstacksdk's meaning); openstack:cacertFile wins over it", () => {
    const ca = write("private-ca.pem", "-----BEGIN CERTIFICATE-----\n");
    const other = write("other-ca.pem", "-----BEGIN CERTIFICATE-----\n");
    const c = resolveCloud({ cloud: "private-ca" }, {}, env);
    expect(c.cacertFile).toBe(ca);
    expect(c.insecure).toBeFalsy();
    expect(resolveCloud({ cloud: "private-ca" }, { "openstack:cacertFile": other }, env).cacertFile).toBe(other);
    // a boolean written as text is still a boolean
    expect(resolveCloud({ cloud: "verify-text" }, {}, env)).toMatchObject({ insecure: true });
    expect(resolveCloud({ cloud: "verify-text" }, {}, env).cacertFile).toBeUndefined();
  });

  it("default to the public interface and a 30 s timeout", () => {
    expect(resolveCloud({ cloud: "appcred" }, {}, env)).toMatchObject({ interface: "public", timeoutMs: 30_000 });
    expect(resolveCloud({ cloud: "appcred", timeoutSeconds: 2 }, {}, env).timeoutMs).toBe(2000);
  });

  it("refuse an interface or a timeout that makes no sense", () => {
    expect(() => resolveCloud({ cloud: "appcred" }, { "openstack:endpointType": "private" }, env)).toThrow(
      /interface "private" must be public, internal or admin/,
    );
    expect(() => resolveCloud({ cloud: "appcred", timeoutSeconds: -1 }, {}, env)).toThrow(/timeoutSeconds must be a positive number/);
  });
});

describe("every place the settings table names is read", () => {
  // A token credential (declared so) scoped by project id needs only authUrl, token and projectId, so each other
  // credential field can be set alone in one place and found in the resolved auth.
  const base = { authUrl: "http://k.example/v3", token: "t0", projectId: "p0", authType: "token" };
  const reachesAuth = [
    "userId",
    "username",
    "userDomainName",
    "userDomainId",
    "projectName",
    "projectDomainName",
    "projectDomainId",
    "applicationCredentialId",
    "applicationCredentialName",
    "applicationCredentialSecret",
    "password",
    "token",
    "projectId",
    "authUrl",
  ] as const;
  const yamlEntry = (fields: Record<string, string>) => {
    const auth: Record<string, string> = {};
    const top: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (k.startsWith("auth.")) auth[k.slice(5)] = v;
      else top[k] = v;
    }
    return write(`clouds-${Math.random().toString(36).slice(2)}.yaml`, JSON.stringify({ clouds: { c: { ...top, auth } } }));
  };
  const tableCa = write("table-ca.pem", "-----BEGIN CERTIFICATE-----\n");
  type Given = { stack?: Record<string, string>; yaml?: Record<string, string>; env?: Record<string, string> };
  const placesOf = (field: Field): { place: string; set: (v: string) => Given }[] => {
    const s = settingSources[field] as SettingSource;
    return [
      ...(s.stack ? [{ place: `stack openstack:${s.stack}`, set: (v: string) => ({ stack: { [`openstack:${s.stack}`]: v } }) }] : []),
      ...(s.cloudsYaml ?? []).map((k) => ({ place: `clouds.yaml ${k}`, set: (v: string) => ({ yaml: { [k]: v } }) })),
      ...(s.env ?? []).map((k) => ({ place: `env ${k}`, set: (v: string) => ({ env: { [k]: v } }) })),
    ];
  };
  /** Resolves with the base credential in `place`'s kind of place and `field` set there to `value`. */
  function resolveIn(field: Field, set: Given) {
    const key = (f: Field, kind: "stack" | "yaml" | "env") => {
      const s = settingSources[f] as SettingSource;
      return kind === "stack" ? `openstack:${s.stack}` : kind === "yaml" ? s.cloudsYaml![0]! : s.env![0]!;
    };
    const kind = set.stack ? "stack" : set.yaml ? "yaml" : "env";
    const withBase = (given: Record<string, string>) => ({
      ...Object.fromEntries(
        Object.entries(base)
          .filter(([f]) => f !== field)
          .map(([f, v]) => [key(f as Field, kind), v]),
      ),
      ...given,
    });
    if (set.stack) return resolveCloud({}, withBase(set.stack), {});
    if (set.yaml) return resolveCloud({}, {}, { OS_CLIENT_CONFIG_FILE: yamlEntry(withBase(set.yaml)), OS_CLOUD: "c" });
    return resolveCloud({}, {}, withBase(set.env!));
  }

  for (const field of reachesAuth) {
    for (const { place, set } of placesOf(field)) {
      it(`${field} from ${place}`, () => {
        const resolved = resolveIn(field, set(`${field}-value`));
        expect((resolved.auth as Record<string, unknown>)[field]).toBe(`${field}-value`);
      });
    }
  }
  for (const { place, set } of placesOf("authType")) {
    it(`authType from ${place}`, () => {
      // a password credential declared as such: the token alone no longer satisfies it
      expect(() => resolveIn("authType", set("password"))).toThrow(/password authentication needs/);
    });
  }
  for (const field of ["defaultDomainId", "defaultDomainName"] as const) {
    for (const { place, set } of placesOf(field)) {
      it(`${field} from ${place} scopes a project name`, () => {
        const given = set(`${field}-value`);
        const projectName = { stack: "openstack:tenantName", yaml: "auth.project_name", env: "OS_PROJECT_NAME" };
        const kind = given.stack ? "stack" : given.yaml ? "yaml" : "env";
        const values = { ...(given.stack ?? given.yaml ?? given.env)!, [projectName[kind]]: "named" };
        const resolved = resolveIn("projectId", { [kind]: values });
        expect(resolved.auth).toMatchObject({
          projectName: "named",
          [field === "defaultDomainId" ? "projectDomainId" : "projectDomainName"]: `${field}-value`,
        });
      });
    }
  }
  for (const field of settingFields) {
    for (const { place, set } of placesOf(field)) {
      const value = {
        region: "R9",
        interface: "admin",
        imageEndpoint: "http://g.example:9292",
        cacertFile: tableCa,
        insecure: "true",
        timeoutSeconds: "7",
      }[field];
      // two places spell a setting their own way: endpointOverrides is a JSON object, verify is insecure's negation
      const spelled =
        field === "imageEndpoint" && place.startsWith("stack")
          ? JSON.stringify({ image: value })
          : place === "clouds.yaml verify"
            ? "false"
            : value;
      const given = set(spelled);
      it(`${field} from ${place}`, () => {
        const resolved = resolveIn("region", given) as unknown as Record<string, unknown>;
        const expected = {
          region: "R9",
          interface: "admin",
          imageEndpoint: "http://g.example:9292",
          cacertFile: value,
          insecure: true,
          timeoutSeconds: 7000,
        }[field];
        expect(resolved[field === "timeoutSeconds" ? "timeoutMs" : field]).toBe(expected);
      });
    }
  }
  it("the provider's configure() reads @pulumi/openstack's key names", () => {
    expect([...stackConfigKeys].sort()).toEqual(
      [
        "cloud",
        "authUrl",
        "userName",
        "userId",
        "password",
        "tenantName",
        "tenantId",
        "userDomainName",
        "userDomainId",
        "projectDomainName",
        "projectDomainId",
        "applicationCredentialId",
        "applicationCredentialName",
        "applicationCredentialSecret",
        "token",
        "defaultDomain",
        "authType",
        "region",
        "endpointType",
        "endpointOverrides",
        "cacertFile",
        "insecure",
      ]
        .map((k) => `openstack:${k}`)
        .sort(),
    );
  });
});

describe("docs/configuration.md", () => {
  const section = fs.readFileSync(path.join(__dirname, "../../../docs/configuration.md"), "utf8");
  for (const [field, s] of Object.entries(settingSources as Record<Field, SettingSource>)) {
    it(`names ${field} and each of its places`, () => {
      const names = [...(s.stack ? [s.stack] : []), ...(s.cloudsYaml ?? []).map((k) => k.replace(/^auth\./, "")), ...(s.env ?? [])];
      for (const name of [field, ...names]) expect(section, `${field}: ${name}`).toContain(name);
    });
  }
});
