import type { CloudOptions } from "./types";

/**
 * Every `CloudOptions` field, and how each other place spells it: the one table the settings layers,
 * their precedence and the stack keys the provider's `configure()` reads are derived from. Keyed by
 * the option's name and checked against `CloudOptions` (`satisfies` below), so an option cannot be
 * added to the interface and not here, nor here and not there.
 *
 * - `role`: `source` chooses where credentials come from; a `credential` is taken from the one auth
 *   source only; a `setting` is taken key by key, strongest place first.
 * - `stack`: the stack config key under `openstack:` (`@pulumi/openstack`'s provider config names,
 *   so a stack configured for it works as is).
 * - `cloudsYaml`: the clouds.yaml entry's keys (openstacksdk's names, first found wins).
 * - `env`: the environment variables, first set wins; a credential's are read only when `OS_*` is
 *   the auth source, a setting's whatever the source.
 * - `secret`: never shown; set it with `pulumi config set --secret`.
 * - `type`: how text from stack config, clouds.yaml or the environment is read (default: text).
 */
export interface SettingSource {
  readonly role: "source" | "credential" | "setting";
  readonly stack?: string;
  readonly cloudsYaml?: readonly string[];
  readonly env?: readonly string[];
  readonly secret?: true;
  readonly type?: "boolean" | "seconds";
}

/** A boolean option must be read as one, a number as seconds, text as text. */
type TypeOf<T> = T extends boolean ? { type: "boolean" } : T extends number ? { type: "seconds" } : { type?: never };

export const settingSources = {
  cloud: { role: "source", stack: "cloud", env: ["OS_CLOUD"] },

  authUrl: { role: "credential", stack: "authUrl", cloudsYaml: ["auth.auth_url"], env: ["OS_AUTH_URL"] },
  username: { role: "credential", stack: "userName", cloudsYaml: ["auth.username", "auth.user_name"], env: ["OS_USERNAME"] },
  userId: { role: "credential", stack: "userId", cloudsYaml: ["auth.user_id"], env: ["OS_USER_ID"] },
  password: { role: "credential", stack: "password", cloudsYaml: ["auth.password"], env: ["OS_PASSWORD"], secret: true },
  userDomainName: { role: "credential", stack: "userDomainName", cloudsYaml: ["auth.user_domain_name"], env: ["OS_USER_DOMAIN_NAME"] },
  userDomainId: { role: "credential", stack: "userDomainId", cloudsYaml: ["auth.user_domain_id"], env: ["OS_USER_DOMAIN_ID"] },
  projectName: {
    role: "credential",
    stack: "tenantName",
    cloudsYaml: ["auth.project_name", "auth.tenant_name"],
    env: ["OS_PROJECT_NAME", "OS_TENANT_NAME"],
  },
  projectId: {
    role: "credential",
    stack: "tenantId",
    cloudsYaml: ["auth.project_id", "auth.tenant_id"],
    env: ["OS_PROJECT_ID", "OS_TENANT_ID"],
  },
  projectDomainName: {
    role: "credential",
    stack: "projectDomainName",
    cloudsYaml: ["auth.project_domain_name"],
    env: ["OS_PROJECT_DOMAIN_NAME"],
  },
  projectDomainId: { role: "credential", stack: "projectDomainId", cloudsYaml: ["auth.project_domain_id"], env: ["OS_PROJECT_DOMAIN_ID"] },
  // @pulumi/openstack's one `defaultDomain` key holds a domain id (its default is "default")
  defaultDomainId: {
    role: "credential",
    stack: "defaultDomain",
    cloudsYaml: ["auth.default_domain_id", "auth.domain_id"],
    env: ["OS_DEFAULT_DOMAIN_ID"],
  },
  defaultDomainName: { role: "credential", cloudsYaml: ["auth.default_domain_name", "auth.domain_name"], env: ["OS_DEFAULT_DOMAIN_NAME"] },
  applicationCredentialId: {
    role: "credential",
    stack: "applicationCredentialId",
    cloudsYaml: ["auth.application_credential_id"],
    env: ["OS_APPLICATION_CREDENTIAL_ID"],
  },
  applicationCredentialName: {
    role: "credential",
    stack: "applicationCredentialName",
    cloudsYaml: ["auth.application_credential_name"],
    env: ["OS_APPLICATION_CREDENTIAL_NAME"],
  },
  applicationCredentialSecret: {
    role: "credential",
    stack: "applicationCredentialSecret",
    cloudsYaml: ["auth.application_credential_secret"],
    env: ["OS_APPLICATION_CREDENTIAL_SECRET"],
    secret: true,
  },
  token: { role: "credential", stack: "token", cloudsYaml: ["auth.token"], env: ["OS_TOKEN"], secret: true },
  authType: { role: "credential", stack: "authType", cloudsYaml: ["auth_type"], env: ["OS_AUTH_TYPE"] },

  region: { role: "setting", stack: "region", cloudsYaml: ["region_name"], env: ["OS_REGION_NAME"] },
  interface: { role: "setting", stack: "endpointType", cloudsYaml: ["interface", "endpoint_type"], env: ["OS_INTERFACE"] },
  // stack config: the `image` entry of the JSON object openstack:endpointOverrides
  imageEndpoint: { role: "setting", stack: "endpointOverrides", cloudsYaml: ["image_endpoint_override"] },
  cacertFile: { role: "setting", stack: "cacertFile", cloudsYaml: ["cacert"], env: ["OS_CACERT"] },
  // clouds.yaml's `verify` is its negation, or a CA file's path (which sets cacertFile instead)
  insecure: { role: "setting", stack: "insecure", cloudsYaml: ["verify"], type: "boolean" },
  timeoutSeconds: { role: "setting", cloudsYaml: ["api_timeout"], type: "seconds" },
} as const satisfies { readonly [K in keyof Required<CloudOptions>]: SettingSource & TypeOf<NonNullable<CloudOptions[K]>> };

export type Field = keyof typeof settingSources;
type FieldsWith<Role> = { [K in Field]: (typeof settingSources)[K]["role"] extends Role ? K : never }[Field];
export type CredentialField = FieldsWith<"credential">;
export type SettingField = FieldsWith<"setting">;

const fieldsOf = <R extends SettingSource["role"]>(role: R) =>
  (Object.keys(settingSources) as Field[]).filter((f) => settingSources[f].role === role) as FieldsWith<R>[];
export const credentialFields: readonly CredentialField[] = fieldsOf("credential");
export const settingFields: readonly SettingField[] = fieldsOf("setting");

export const sourceOf = (field: Field): SettingSource => settingSources[field];

/** The stack config keys read (namespaced: `openstack:authUrl`), for the provider's `configure()`. */
export const stackConfigKeys: readonly string[] = Object.values(settingSources as Record<Field, SettingSource>).flatMap((s) =>
  s.stack ? [`openstack:${s.stack}`] : [],
);
