import * as fs from "node:fs";
import { loadCloud, type CloudsEntry } from "./clouds-yaml";
import { configError } from "./errors";
import type { CloudOptions } from "./types";

/**
 * Turns CloudOptions, stack config, clouds.yaml and OS_* variables into one resolved cloud, in the
 * order README "Configuration" gives:
 * - the auth source is exactly one of: the `cloud` option (its entry, overridden by explicit
 *   credential options), the stack's `openstack:*` config (over the entry `openstack:cloud` names),
 *   the entry `OS_CLOUD` names, the `OS_*` variables;
 * - each setting (region, interface, image endpoint, CA file, insecure, timeout) is taken per key,
 *   strongest first: option, stack config, the source's own value, `OS_REGION_NAME`/`OS_INTERFACE`/`OS_CACERT`.
 */

export type AuthMethod = "password" | "application_credential" | "token";
export type Interface = "public" | "internal" | "admin";

const credentialFields = [
  "authUrl", "username", "userId", "password", "userDomainName", "userDomainId", "projectName", "projectId",
  "projectDomainName", "projectDomainId", "applicationCredentialId", "applicationCredentialName",
  "applicationCredentialSecret", "token", "defaultDomainId", "defaultDomainName", "authType",
] as const;
type CredentialField = (typeof credentialFields)[number];
const settingFields = ["region", "interface", "imageEndpoint", "cacertFile", "insecure", "timeoutSeconds"] as const;
type SettingField = (typeof settingFields)[number];

type Credentials = Partial<Record<CredentialField, string>>;
interface Settings {
  region?: string;
  interface?: string;
  imageEndpoint?: string;
  cacertFile?: string;
  insecure?: boolean;
  timeoutSeconds?: number;
}

/** What one place (options, stack config, a clouds.yaml entry, the environment) says. */
interface Layer {
  /** Names the place in errors: `clouds.yaml entry "producer" (/path)`. */
  describe: string;
  credentials: Credentials;
  settings: Settings;
  /** How this place spells a field, so an error can say what to set. */
  keyOf(field: CredentialField): string;
}

export interface AuthSpec {
  method: AuthMethod;
  authUrl: string;
  username?: string;
  userId?: string;
  userDomainName?: string;
  userDomainId?: string;
  password?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
  token?: string;
}

export interface ResolvedCloud {
  /** Where the credentials came from (no secrets). */
  source: string;
  auth: AuthSpec;
  region?: string;
  interface: Interface;
  imageEndpoint?: string;
  cacertFile?: string;
  /** The CA file's contents, read once at resolve time so an unreadable file fails early. */
  ca?: Buffer;
  insecure: boolean;
  timeoutMs: number;
}

/** Stack config as the provider's `configure()` receives it: namespaced keys, string values. */
export type StackConfig = Readonly<Record<string, string | undefined>>;

const DEFAULT_TIMEOUT_SECONDS = 30;

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as T;

const str = (v: unknown): string | undefined =>
  v === undefined || v === null || v === "" ? undefined : typeof v === "string" ? v : String(v);

const BOOL_TEXT = ["true", "1", "yes", "on", "false", "0", "no", "off"];
const isBoolText = (v: string): boolean => BOOL_TEXT.includes(v.trim().toLowerCase());

function bool(v: unknown, where: string): boolean | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  const s = String(v).trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(s)) return true;
  if (["false", "0", "no", "off"].includes(s)) return false;
  throw configError(`${where} must be true or false, not "${String(v)}"`);
}

function seconds(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw configError(`${where} must be a positive number of seconds, not "${String(v)}"`);
  return n;
}

// ---- the four places -------------------------------------------------------------------------------

const optionKeys: Record<CredentialField, string> = {
  authUrl: "authUrl", username: "username", userId: "userId", password: "password", userDomainName: "userDomainName",
  userDomainId: "userDomainId", projectName: "projectName", projectId: "projectId", projectDomainName: "projectDomainName",
  projectDomainId: "projectDomainId", applicationCredentialId: "applicationCredentialId",
  applicationCredentialName: "applicationCredentialName", applicationCredentialSecret: "applicationCredentialSecret",
  token: "token", defaultDomainId: "userDomainId", defaultDomainName: "userDomainName", authType: "authType",
};

function optionsLayer(options: CloudOptions): Layer {
  const o = options as Record<string, unknown>;
  return {
    describe: "the cloud options",
    credentials: defined(Object.fromEntries(credentialFields.map((f) => [f, str(o[f])])) as Credentials),
    settings: defined({
      region: str(options.region),
      interface: str(options.interface),
      imageEndpoint: str(options.imageEndpoint),
      cacertFile: str(options.cacertFile),
      insecure: options.insecure,
      timeoutSeconds: seconds(options.timeoutSeconds, "timeoutSeconds"),
    }),
    keyOf: (f) => optionKeys[f],
  };
}

// @pulumi/openstack's provider config names (its schema), so a stack configured for it works as is.
const stackKeys: Record<CredentialField, string> = {
  authUrl: "openstack:authUrl", username: "openstack:userName", userId: "openstack:userId", password: "openstack:password",
  userDomainName: "openstack:userDomainName", userDomainId: "openstack:userDomainId", projectName: "openstack:tenantName",
  projectId: "openstack:tenantId", projectDomainName: "openstack:projectDomainName", projectDomainId: "openstack:projectDomainId",
  applicationCredentialId: "openstack:applicationCredentialId", applicationCredentialName: "openstack:applicationCredentialName",
  applicationCredentialSecret: "openstack:applicationCredentialSecret", token: "openstack:token",
  defaultDomainId: "openstack:defaultDomain", defaultDomainName: "openstack:defaultDomain", authType: "openstack:authType",
};

function stackLayer(config: StackConfig): Layer {
  const get = (k: string) => str(config[k]);
  let overrides: Record<string, unknown> = {};
  const rawOverrides = get("openstack:endpointOverrides");
  if (rawOverrides) {
    try {
      overrides = JSON.parse(rawOverrides) as Record<string, unknown>;
    } catch {
      throw configError(`openstack:endpointOverrides must be a JSON object such as {"image": "https://glance.example:9292"}`);
    }
  }
  const credentials = defined(Object.fromEntries(credentialFields.map((f) => [f, get(stackKeys[f])])) as Credentials);
  // defaultDomain is one key for both: a domain id in @pulumi/openstack (default "default")
  delete credentials.defaultDomainName;
  return {
    describe: "the stack config (openstack:*)",
    credentials,
    settings: defined({
      region: get("openstack:region"),
      interface: get("openstack:endpointType"),
      imageEndpoint: str(overrides.image),
      cacertFile: get("openstack:cacertFile"),
      insecure: bool(get("openstack:insecure"), "openstack:insecure"),
    }),
    keyOf: (f) => stackKeys[f],
  };
}

function entryLayer(name: string, env: NodeJS.ProcessEnv): Layer {
  const { file, entry } = loadCloud(name, env);
  const a = (entry.auth ?? {}) as Record<string, unknown>;
  const s = (k: string) => str(a[k]);
  const describe = `clouds.yaml entry "${name}" (${file})`;
  // openstacksdk's `verify`: true/false, or the path of a CA file to verify with (requests' convention)
  const caPath = typeof entry.verify === "string" && !isBoolText(entry.verify) ? entry.verify : undefined;
  const verify = caPath === undefined ? bool(entry.verify, `${describe}: verify`) : undefined;
  return {
    describe,
    credentials: defined({
      authUrl: s("auth_url"), username: s("username") ?? s("user_name"), userId: s("user_id"), password: s("password"),
      userDomainName: s("user_domain_name"), userDomainId: s("user_domain_id"),
      projectName: s("project_name") ?? s("tenant_name"), projectId: s("project_id") ?? s("tenant_id"),
      projectDomainName: s("project_domain_name"), projectDomainId: s("project_domain_id"),
      applicationCredentialId: s("application_credential_id"), applicationCredentialName: s("application_credential_name"),
      applicationCredentialSecret: s("application_credential_secret"), token: s("token"),
      defaultDomainId: s("default_domain_id") ?? s("domain_id"), defaultDomainName: s("default_domain_name") ?? s("domain_name"),
      authType: str(entry.auth_type),
    }),
    settings: defined({
      region: str(entry.region_name),
      interface: str(entry.interface) ?? str(entry.endpoint_type),
      imageEndpoint: str(entry.image_endpoint_override),
      cacertFile: str(entry.cacert) ?? caPath,
      insecure: verify === undefined ? undefined : !verify,
      timeoutSeconds: seconds(entry.api_timeout, `${describe}: api_timeout`),
    }),
    keyOf: (f) => (f === "authType" ? "auth_type" : `auth.${snake(f)}`),
  };
}

const snake = (f: string) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const envKeys: Record<CredentialField, string> = {
  authUrl: "OS_AUTH_URL", username: "OS_USERNAME", userId: "OS_USER_ID", password: "OS_PASSWORD",
  userDomainName: "OS_USER_DOMAIN_NAME", userDomainId: "OS_USER_DOMAIN_ID", projectName: "OS_PROJECT_NAME",
  projectId: "OS_PROJECT_ID", projectDomainName: "OS_PROJECT_DOMAIN_NAME", projectDomainId: "OS_PROJECT_DOMAIN_ID",
  applicationCredentialId: "OS_APPLICATION_CREDENTIAL_ID", applicationCredentialName: "OS_APPLICATION_CREDENTIAL_NAME",
  applicationCredentialSecret: "OS_APPLICATION_CREDENTIAL_SECRET", token: "OS_TOKEN",
  defaultDomainId: "OS_DEFAULT_DOMAIN_ID", defaultDomainName: "OS_DEFAULT_DOMAIN_NAME", authType: "OS_AUTH_TYPE",
};

function envLayer(env: NodeJS.ProcessEnv): Layer {
  const credentials = defined(Object.fromEntries(credentialFields.map((f) => [f, str(env[envKeys[f]])])) as Credentials);
  credentials.projectName ??= str(env.OS_TENANT_NAME);
  credentials.projectId ??= str(env.OS_TENANT_ID);
  return {
    describe: "the OS_* environment variables",
    credentials: defined(credentials),
    settings: {},
    keyOf: (f) => envKeys[f],
  };
}

// ---- choosing and checking ------------------------------------------------------------------------

const hasCredentials = (c: Credentials) => Object.keys(c).length > 0;

function chooseSource(options: CloudOptions, stack: StackConfig, env: NodeJS.ProcessEnv): Layer {
  const fromOptions = optionsLayer(options);
  if (options.cloud || hasCredentials(fromOptions.credentials)) {
    if (!options.cloud) return fromOptions;
    const base = entryLayer(options.cloud, env);
    return overlay(base, fromOptions);
  }
  const fromStack = stackLayer(stack);
  const stackCloud = str(stack["openstack:cloud"]);
  if (stackCloud || hasCredentials(fromStack.credentials)) {
    return stackCloud ? overlay(entryLayer(stackCloud, env), fromStack) : fromStack;
  }
  if (str(env.OS_CLOUD)) return entryLayer(env.OS_CLOUD!, env);
  const fromEnv = envLayer(env);
  if (hasCredentials(fromEnv.credentials)) return fromEnv;
  throw configError("no OpenStack credentials found",
    "set the resource's `cloud` (a clouds.yaml entry), the stack config openstack:cloud or openstack:authUrl and friends, OS_CLOUD, or OS_AUTH_URL with OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME");
}

/** `over`'s credentials replace `base`'s field by field; errors name both places. */
function overlay(base: Layer, over: Layer): Layer {
  return {
    describe: hasCredentials(over.credentials) ? `${base.describe} with ${over.describe}` : base.describe,
    credentials: { ...base.credentials, ...over.credentials },
    settings: base.settings,
    keyOf: (f) => (over.credentials[f] !== undefined ? over.keyOf(f) : base.keyOf(f)),
  };
}

function authMethod(c: Credentials, where: string): AuthMethod {
  const t = c.authType?.toLowerCase().replace(/[-_]/g, "");
  if (t === undefined) {
    if (c.applicationCredentialId || c.applicationCredentialName || c.applicationCredentialSecret) return "application_credential";
    if (c.token && !c.password) return "token";
    return "password";
  }
  if (t === "password" || t === "v3password") return "password";
  if (t === "applicationcredential" || t === "v3applicationcredential") return "application_credential";
  if (t === "token" || t === "v3token") return "token";
  throw configError(`${where}: auth type "${c.authType}" is not supported`, "use password, v3applicationcredential or token");
}

function buildAuth(layer: Layer): AuthSpec {
  const c = layer.credentials;
  const method = authMethod(c, layer.describe);
  const missing: string[] = [];
  const need = (ok: boolean, ...fields: CredentialField[]) => {
    if (!ok) missing.push(fields.map((f) => layer.keyOf(f)).join(" or "));
  };
  const userDomainId = c.userDomainId ?? (c.userDomainName ? undefined : c.defaultDomainId);
  const userDomainName = c.userDomainName ?? (userDomainId ? undefined : c.defaultDomainName);
  const projectDomainId = c.projectDomainId ?? (c.projectDomainName ? undefined : c.defaultDomainId);
  const projectDomainName = c.projectDomainName ?? (projectDomainId ? undefined : c.defaultDomainName);
  const needUser = () => {
    need(Boolean(c.userId || c.username), "userId", "username");
    if (!c.userId && c.username) need(Boolean(userDomainId || userDomainName), "userDomainId", "userDomainName");
  };
  const needProject = () => {
    need(Boolean(c.projectId || c.projectName), "projectId", "projectName");
    if (!c.projectId && c.projectName) need(Boolean(projectDomainId || projectDomainName), "projectDomainId", "projectDomainName");
  };
  need(Boolean(c.authUrl), "authUrl");
  if (method === "password") {
    needUser();
    need(Boolean(c.password), "password");
    needProject();
  } else if (method === "application_credential") {
    need(Boolean(c.applicationCredentialSecret), "applicationCredentialSecret");
    need(Boolean(c.applicationCredentialId || c.applicationCredentialName), "applicationCredentialId", "applicationCredentialName");
    if (!c.applicationCredentialId && c.applicationCredentialName) needUser();
  } else {
    need(Boolean(c.token), "token");
    needProject();
  }
  if (missing.length) {
    const what = method.replace("_", " ");
    throw configError(`${layer.describe}: ${what} authentication needs ${missing.join(", ")}`,
      `set ${missing.length === 1 ? "it" : "them"} there${layer.describe.includes("stack config") ? " (secrets with `pulumi config set --secret`)" : ""}`);
  }
  return defined({
    method, authUrl: c.authUrl!, username: c.username, userId: c.userId, userDomainId, userDomainName, password: c.password,
    projectName: c.projectName, projectId: c.projectId, projectDomainId, projectDomainName,
    applicationCredentialId: c.applicationCredentialId, applicationCredentialName: c.applicationCredentialName,
    applicationCredentialSecret: c.applicationCredentialSecret, token: c.token,
  }) as AuthSpec;
}

/** Where the interface in use was set, for an error about it. */
function interfaceSource(fromOptions: Settings, fromStack: Settings, source: Layer): string {
  if (fromOptions.interface !== undefined) return "the cloud options (interface)";
  if (fromStack.interface !== undefined) return "the stack config (openstack:endpointType)";
  if (source.settings.interface !== undefined) return source.describe;
  return "OS_INTERFACE";
}

function normalizeInterface(value: string | undefined, where: string): Interface {
  if (value === undefined) return "public";
  const v = value.toLowerCase().replace(/url$/, "");
  if (v === "public" || v === "internal" || v === "admin") return v;
  throw configError(`${where}: interface "${value}" must be public, internal or admin`);
}

/** Resolves everything needed to authenticate and reach Glance. Throws ERR_CONFIG naming what is missing. */
export function resolveCloud(options: CloudOptions = {}, stack: StackConfig = {}, env: NodeJS.ProcessEnv = process.env): ResolvedCloud {
  const source = chooseSource(options, stack, env);
  const auth = buildAuth(source);
  const fromOptions = optionsLayer(options).settings;
  const fromStack = stackLayer(stack).settings;
  const fromEnv: Settings = defined({ region: str(env.OS_REGION_NAME), interface: str(env.OS_INTERFACE), cacertFile: str(env.OS_CACERT) });
  const pick = <K extends SettingField>(k: K): Settings[K] => fromOptions[k] ?? fromStack[k] ?? source.settings[k] ?? fromEnv[k];

  const cacertFile = pick("cacertFile");
  let ca: Buffer | undefined;
  if (cacertFile) {
    try {
      ca = fs.readFileSync(cacertFile);
    } catch (e) {
      throw configError(`cannot read the CA file ${cacertFile}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
        "point cacertFile (or clouds.yaml cacert, OS_CACERT) at a readable PEM file", cacertFile);
    }
  }
  const imageEndpoint = pick("imageEndpoint");
  return defined({
    source: source.describe,
    auth,
    region: pick("region"),
    interface: normalizeInterface(pick("interface"), interfaceSource(fromOptions, fromStack, source)),
    imageEndpoint: imageEndpoint ? trimEndpoint(imageEndpoint) : undefined,
    cacertFile,
    ca,
    insecure: pick("insecure") ?? false,
    timeoutMs: (pick("timeoutSeconds") ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
  }) as ResolvedCloud;
}

/** Glance endpoints appear with and without a version suffix; requests add `/v2` themselves. */
export function trimEndpoint(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v2(\.\d+)?$/, "");
}
