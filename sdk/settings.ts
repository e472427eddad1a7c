import * as fs from "node:fs";
import { type CloudsEntry, loadCloud } from "./clouds-yaml";
import { configError } from "./errors";
import { type CredentialField, credentialFields, type Field, type SettingField, settingFields, sourceOf } from "./setting-sources";
import type { CloudOptions } from "./types";

/**
 * Turns CloudOptions, stack config, clouds.yaml and OS_* variables into one resolved cloud, in the
 * order docs/configuration.md gives:
 * - the auth source is exactly one of: the `cloud` option (its entry, overridden by explicit
 *   credential options), the stack's `openstack:*` config (over the entry `openstack:cloud` names),
 *   the entry `OS_CLOUD` names, the `OS_*` variables;
 * - each setting (region, interface, image endpoint, CA file, insecure, timeout) is taken per key,
 *   strongest first: option, stack config, the source's own value, `OS_REGION_NAME`/`OS_INTERFACE`/`OS_CACERT`.
 */

export type AuthMethod = "password" | "application_credential" | "token";
export type Interface = "public" | "internal" | "admin";

type Credentials = Partial<Record<CredentialField, string>>;
type Settings = Partial<Pick<Required<CloudOptions>, Exclude<SettingField, "interface">>> & { interface?: string };

/** What one place (options, stack config, a clouds.yaml entry, the environment) says. */
interface Layer {
  /** Names the place in errors: `clouds.yaml entry "producer" (/path)`. */
  describe: string;
  credentials: Credentials;
  settings: Settings;
  /** How this place spells a field, so an error can say what to set. */
  keyOf(field: CredentialField): string;
}

export type AuthSpec = { method: AuthMethod; authUrl: string } & Omit<
  Credentials,
  "authUrl" | "authType" | "defaultDomainId" | "defaultDomainName"
>;

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

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as T;

const str = (v: unknown): string | undefined =>
  v === undefined || v === null || v === "" ? undefined : typeof v === "string" ? v : String(v);

/** How text says true and false; anything else is not a boolean. */
const boolText: Readonly<Record<string, boolean>> = {
  true: true,
  1: true,
  yes: true,
  on: true,
  false: false,
  0: false,
  no: false,
  off: false,
};
const boolOf = (v: string): boolean | undefined => boolText[v.trim().toLowerCase()];

function bool(v: unknown, where: string): boolean | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  const b = boolOf(String(v));
  if (b === undefined) throw configError(`${where} must be true or false, not "${String(v)}"`);
  return b;
}

function seconds(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw configError(`${where} must be a positive number of seconds, not "${String(v)}"`);
  return n;
}

/** One place's value of a field, read as the table's `type` says; `where` names it in an error. */
function typed(field: Field, v: unknown, where: string): string | boolean | number | undefined {
  const type = sourceOf(field).type;
  return type === "boolean" ? bool(v, where) : type === "seconds" ? seconds(v, where) : str(v);
}

/** Reads every field of `fields` from one place: `read` gives the raw value and the key it was found under. */
function readFields<F extends Field>(fields: readonly F[], read: (field: F) => { value: unknown; key: string } | undefined) {
  const values: Partial<Record<F, unknown>> = {};
  for (const f of fields) {
    const found = read(f);
    if (found) values[f] = typed(f, found.value, found.key);
  }
  return defined(values);
}

// ---- the four places -------------------------------------------------------------------------------

function optionsLayer(options: CloudOptions): Layer {
  const o = options as Record<Field, unknown>;
  const read = (f: Field) => ({ value: o[f], key: f });
  return {
    describe: "the cloud options",
    credentials: readFields(credentialFields, read) as Credentials,
    settings: readFields(settingFields, read) as Settings,
    keyOf: (f) => f,
  };
}

const stackKey = (f: Field): string | undefined => {
  const key = sourceOf(f).stack;
  return key && `openstack:${key}`;
};

function stackLayer(config: StackConfig): Layer {
  const read = (f: Field) => {
    const key = stackKey(f);
    return key === undefined ? undefined : { value: config[key], key };
  };
  const settings = readFields(
    settingFields.filter((f) => f !== "imageEndpoint"),
    read,
  ) as Settings;
  // the image service's entry of @pulumi/openstack's JSON object of endpoint overrides
  const overridesKey = stackKey("imageEndpoint")!;
  const overrides = str(config[overridesKey]);
  if (overrides) {
    let image: unknown;
    try {
      image = (JSON.parse(overrides) as Record<string, unknown>).image;
    } catch {
      throw configError(`${overridesKey} must be a JSON object such as {"image": "https://glance.example:9292"}`);
    }
    if (str(image)) settings.imageEndpoint = str(image);
  }
  return {
    describe: "the stack config (openstack:*)",
    credentials: readFields(credentialFields, read) as Credentials,
    settings,
    keyOf: (f) => stackKey(f) ?? f,
  };
}

/** A clouds.yaml key such as `auth.user_name` looked up in an entry. */
const yamlValue = (entry: CloudsEntry, key: string): unknown =>
  key.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), entry);

function entryLayer(name: string, env: NodeJS.ProcessEnv): Layer {
  const { file, entry } = loadCloud(name, env);
  const describe = `clouds.yaml entry "${name}" (${file})`;
  const read = (f: Field) => {
    const key = sourceOf(f).cloudsYaml?.find((k) => str(yamlValue(entry, k)) !== undefined);
    return key === undefined ? undefined : { value: yamlValue(entry, key), key: `${describe}: ${key}` };
  };
  const settings = readFields(
    settingFields.filter((f) => f !== "insecure"),
    read,
  ) as Settings;
  // openstacksdk's `verify`: true/false, or the path of a CA file to verify with (requests' convention)
  const verifyKey = sourceOf("insecure").cloudsYaml![0]!;
  const verify = yamlValue(entry, verifyKey);
  if (typeof verify === "string" && boolOf(verify) === undefined) {
    settings.cacertFile ??= verify;
  } else {
    const verified = bool(verify, `${describe}: ${verifyKey}`);
    if (verified !== undefined) settings.insecure = !verified;
  }
  return {
    describe,
    credentials: readFields(credentialFields, read) as Credentials,
    settings,
    keyOf: (f) => sourceOf(f).cloudsYaml?.[0] ?? f,
  };
}

const envName = (f: Field, env: NodeJS.ProcessEnv): string | undefined => sourceOf(f).env?.find((k) => str(env[k]) !== undefined);

function readEnv<F extends Field>(fields: readonly F[], env: NodeJS.ProcessEnv) {
  return readFields(fields, (f) => {
    const key = envName(f, env);
    return key === undefined ? undefined : { value: env[key], key };
  });
}

function envLayer(env: NodeJS.ProcessEnv): Layer {
  return {
    describe: "the OS_* environment variables",
    credentials: readEnv(credentialFields, env) as Credentials,
    settings: {},
    keyOf: (f) => sourceOf(f).env?.[0] ?? f,
  };
}

// ---- choosing and checking ------------------------------------------------------------------------

const hasCredentials = (c: Credentials) => Object.keys(c).length > 0;

/** The layers read up front: each is built once, the clouds.yaml entry only when one is named. */
interface Places {
  options: Layer;
  stack: Layer;
  stackCloud?: string;
  env: NodeJS.ProcessEnv;
}

function chooseSource({ options, stack, stackCloud, env }: Places, cloud: string | undefined): Layer {
  if (cloud) return overlay(entryLayer(cloud, env), options);
  if (hasCredentials(options.credentials)) return options;
  if (stackCloud) return overlay(entryLayer(stackCloud, env), stack);
  if (hasCredentials(stack.credentials)) return stack;
  const osCloud = envName("cloud", env);
  if (osCloud) return entryLayer(env[osCloud]!, env);
  const fromEnv = envLayer(env);
  if (hasCredentials(fromEnv.credentials)) return fromEnv;
  throw configError(
    "no OpenStack credentials found",
    "set the resource's `cloud` (a clouds.yaml entry), the stack config openstack:cloud or openstack:authUrl and friends, OS_CLOUD, or OS_AUTH_URL with OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME",
  );
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
  const missingFields: CredentialField[] = [];
  const need = (ok: boolean, ...fields: CredentialField[]) => {
    if (ok) return;
    missing.push(fields.map((f) => layer.keyOf(f)).join(" or "));
    missingFields.push(...fields);
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
    const secrets = missingFields.some((f) => sourceOf(f).secret && layer.keyOf(f).startsWith("openstack:"));
    throw configError(
      `${layer.describe}: ${what} authentication needs ${missing.join(", ")}`,
      `set ${missing.length === 1 ? "it" : "them"} there${secrets ? " (secrets with `pulumi config set --secret`)" : ""}`,
    );
  }
  return defined({
    method,
    authUrl: c.authUrl!,
    username: c.username,
    userId: c.userId,
    userDomainId,
    userDomainName,
    password: c.password,
    projectName: c.projectName,
    projectId: c.projectId,
    projectDomainId,
    projectDomainName,
    applicationCredentialId: c.applicationCredentialId,
    applicationCredentialName: c.applicationCredentialName,
    applicationCredentialSecret: c.applicationCredentialSecret,
    token: c.token,
  }) as AuthSpec;
}

/** Where the interface in use was set, for an error about it. */
function interfaceSource(places: Places, source: Layer): string {
  if (places.options.settings.interface !== undefined) return "the cloud options (interface)";
  if (places.stack.settings.interface !== undefined) return "the stack config (openstack:endpointType)";
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
  const places: Places = { options: optionsLayer(options), stack: stackLayer(stack), stackCloud: str(stack[stackKey("cloud")!]), env };
  const source = chooseSource(places, str(options.cloud));
  const auth = buildAuth(source);
  const fromEnv = readEnv(settingFields, env) as Settings;
  const pick = <K extends SettingField>(k: K): Settings[K] =>
    places.options.settings[k] ?? places.stack.settings[k] ?? source.settings[k] ?? fromEnv[k];

  const cacertFile = pick("cacertFile");
  let ca: Buffer | undefined;
  if (cacertFile) {
    try {
      ca = fs.readFileSync(cacertFile);
    } catch (e) {
      throw configError(
        `cannot read the CA file ${cacertFile}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
        "point cacertFile (or clouds.yaml cacert, OS_CACERT) at a readable PEM file",
        cacertFile,
      );
    }
  }
  const imageEndpoint = pick("imageEndpoint");
  return defined({
    source: source.describe,
    auth,
    region: pick("region"),
    interface: normalizeInterface(pick("interface"), interfaceSource(places, source)),
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
