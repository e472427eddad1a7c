/**
 * Test fixtures that talk to Keystone and Glance directly with plain `fetch`, so that tests can
 * arrange (and inspect) state behind the back of the code under test: create and delete images,
 * add or remove members, set a member's status, list what a project sees.
 *
 * Every function takes the clouds.yaml file and the entry to act as (`producer`, `consumer`,
 * `outsider`, `admin`). `...Raw` functions return the HTTP status and body and never throw on an
 * HTTP status; the others throw on anything but success. Requests always send
 * `Accept: application/json` (Glance answers HTML otherwise). Tokens are cached per file + entry
 * and renewed before they expire, and once on a 401. Nothing here prints or throws a token or a
 * password.
 *
 * Supported clouds.yaml auth: password (username or user_id, project_name or project_id, domain
 * names or ids) and application credentials; `region_name`, `interface` and
 * `image_endpoint_override` are honoured. TLS with a private CA (`cacert`) is not: these fixtures
 * use Node's default trust store.
 */
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";

export type Visibility = "shared" | "private" | "public" | "community";
export type MemberStatus = "accepted" | "pending" | "rejected";

export interface RawResponse {
  status: number;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: any;
  /** The body as text (with Glance's trailing `<br /><br />` junk, if any). */
  text: string;
  requestId?: string;
  headers: Headers;
}

export interface GlanceImage {
  id: string;
  name?: string | null;
  owner: string;
  visibility: Visibility;
  status: string;
  [key: string]: unknown;
}

export interface GlanceMember {
  image_id: string;
  member_id: string;
  status: MemberStatus;
  created_at: string;
  updated_at: string;
}

export interface Session {
  token: string;
  projectId: string;
  userId: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Glance root URL from the catalog (no trailing slash, no /v2). */
  imageUrl: string;
  /** Keystone v3 URL of the entry. */
  authUrl: string;
}

interface EntryConfig {
  auth: Record<string, any>;
  authType?: string;
  region?: string;
  iface: string;
  imageEndpointOverride?: string;
}

const TIMEOUT_MS = 30_000;

function readEntry(cloudsFile: string, entry: string): EntryConfig {
  const doc = parseYaml(fs.readFileSync(cloudsFile, "utf8")) as { clouds?: Record<string, any> } | null;
  const cloud = doc?.clouds?.[entry];
  if (!cloud) throw new Error(`${cloudsFile} has no clouds.${entry} entry`);
  if (!cloud.auth?.auth_url) throw new Error(`${cloudsFile}: clouds.${entry}.auth.auth_url is missing`);
  return {
    auth: cloud.auth,
    authType: cloud.auth_type,
    region: cloud.region_name,
    iface: String(cloud.interface ?? "public").replace(/URL$/, ""),
    imageEndpointOverride: cloud.image_endpoint_override,
  };
}

function v3(authUrl: string): string {
  const u = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(u) ? u : `${u}/v3`;
}

function domain(id?: string, name?: string): Record<string, string> {
  if (id) return { id };
  if (name) return { name };
  return { id: "default" };
}

function authBody(c: EntryConfig): unknown {
  const a = c.auth;
  if (c.authType === "v3applicationcredential" || a.application_credential_id || a.application_credential_name) {
    const cred: Record<string, unknown> = { secret: a.application_credential_secret };
    if (a.application_credential_id) cred.id = a.application_credential_id;
    else {
      cred.name = a.application_credential_name;
      cred.user = a.user_id ? { id: a.user_id } : { name: a.username, domain: domain(a.user_domain_id, a.user_domain_name) };
    }
    return { auth: { identity: { methods: ["application_credential"], application_credential: cred } } };
  }
  const user = a.user_id
    ? { id: a.user_id, password: a.password }
    : { name: a.username, domain: domain(a.user_domain_id, a.user_domain_name), password: a.password };
  const project = a.project_id
    ? { id: a.project_id }
    : {
        name: a.project_name ?? a.tenant_name,
        domain: domain(a.project_domain_id ?? a.user_domain_id, a.project_domain_name ?? a.user_domain_name),
      };
  return { auth: { identity: { methods: ["password"], password: { user } }, scope: { project } } };
}

async function request(
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; contentType?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  if (opts.token) headers["X-Auth-Token"] = opts.token;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = opts.contentType ?? "application/json";
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new Error(`${method} ${url}: ${(e as Error).message}${(e as any).cause ? ` (${(e as any).cause})` : ""}`);
  }
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return {
    status: res.status,
    body: parsed,
    text,
    requestId: res.headers.get("x-openstack-request-id") ?? undefined,
    headers: res.headers,
  };
}

function explain(method: string, url: string, r: RawResponse): string {
  const msg = r.body?.message ?? r.body?.error?.message ?? r.text.slice(0, 300);
  return `${method} ${url.split("?")[0]} -> ${r.status}: ${String(msg)
    .replace(/(<br \/>)+\s*$/, "")
    .trim()}`;
}

const sessions = new Map<string, Promise<Session>>();

async function authenticate(cloudsFile: string, entry: string): Promise<Session> {
  const c = readEntry(cloudsFile, entry);
  const authUrl = v3(c.auth.auth_url);
  const url = `${authUrl}/auth/tokens`;
  const r = await request("POST", url, { body: authBody(c) });
  if (r.status !== 201) throw new Error(`authenticating as ${entry} from ${cloudsFile}: ${explain("POST", url, r)}`);
  const token = r.headers.get("x-subject-token");
  const t = r.body?.token;
  if (!token || !t) throw new Error(`authenticating as ${entry}: no token in Keystone's answer`);
  let imageUrl = c.imageEndpointOverride;
  if (!imageUrl) {
    const service = (t.catalog ?? []).find((s: any) => s.type === "image");
    const endpoint = service?.endpoints?.find(
      (e: any) => e.interface === c.iface && (!c.region || e.region_id === c.region || e.region === c.region),
    );
    if (!endpoint) {
      throw new Error(`no image endpoint (interface ${c.iface}${c.region ? `, region ${c.region}` : ""}) in ${entry}'s catalog`);
    }
    imageUrl = endpoint.url as string;
  }
  return {
    token,
    projectId: t.project?.id,
    userId: t.user?.id,
    issuedAt: new Date(t.issued_at),
    expiresAt: new Date(t.expires_at),
    imageUrl: imageUrl.replace(/\/+$/, "").replace(/\/v2(\.\d+)?$/, ""),
    authUrl,
  };
}

/**
 * A project-scoped session for a clouds.yaml entry: token, project and user ids, Glance URL.
 * Cached; renewed when 3/4 of its lifetime has passed, or when `fresh` is set.
 */
export async function session(cloudsFile: string, entry: string, fresh = false): Promise<Session> {
  const key = `${cloudsFile}\0${entry}`;
  const cached = sessions.get(key);
  if (cached && !fresh) {
    try {
      const s = await cached;
      const renewAt = s.issuedAt.getTime() + 0.75 * (s.expiresAt.getTime() - s.issuedAt.getTime());
      if (Date.now() < renewAt) return s;
    } catch {
      // a failed attempt is not cached: try again below
    }
  }
  const p = authenticate(cloudsFile, entry);
  sessions.set(key, p);
  p.catch(() => {
    if (sessions.get(key) === p) sessions.delete(key);
  });
  return p;
}

/** A project-scoped Keystone token for a clouds.yaml entry (cached; see `session`). */
export async function projectToken(cloudsFile: string, entry: string): Promise<string> {
  return (await session(cloudsFile, entry)).token;
}

/** The project id an entry's credentials are scoped to. */
export async function projectId(cloudsFile: string, entry: string): Promise<string> {
  return (await session(cloudsFile, entry)).projectId;
}

/**
 * Any Glance request as `entry`: `path` is relative to the Glance root (e.g. `/v2/images`).
 * Renews the token and retries once on 401. Never throws on an HTTP status.
 */
export async function glanceRaw(
  cloudsFile: string,
  entry: string,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<RawResponse> {
  let s = await session(cloudsFile, entry);
  let r = await request(method, s.imageUrl + path, { token: s.token, body, contentType });
  if (r.status === 401) {
    s = await session(cloudsFile, entry, true);
    r = await request(method, s.imageUrl + path, { token: s.token, body, contentType });
  }
  return r;
}

async function glance(
  cloudsFile: string,
  entry: string,
  method: string,
  path: string,
  expect: number[],
  body?: unknown,
  contentType?: string,
): Promise<RawResponse> {
  const r = await glanceRaw(cloudsFile, entry, method, path, body, contentType);
  if (!expect.includes(r.status)) throw new Error(`as ${entry}: ${explain(method, path, r)}`);
  return r;
}

/**
 * Create an image record (no data upload needed) owned by `entry`'s project; returns its id.
 * `public` needs the `admin` entry (Glance refuses `publicize_image` to others).
 */
export async function createImage(
  cloudsFile: string,
  entry: string,
  options: { visibility: Visibility; name?: string; tags?: string[] },
): Promise<string> {
  const name = options.name ?? `test-${options.visibility}-${Date.now().toString(36)}`;
  const r = await glance(cloudsFile, entry, "POST", "/v2/images", [201], {
    name,
    visibility: options.visibility,
    disk_format: "raw",
    container_format: "bare",
    ...(options.tags ? { tags: options.tags } : {}),
  });
  return r.body.id as string;
}

/** Delete an image; an image that is already gone is success. */
export async function deleteImage(cloudsFile: string, entry: string, imageId: string): Promise<void> {
  await glance(cloudsFile, entry, "DELETE", `/v2/images/${encodeURIComponent(imageId)}`, [204, 404]);
}

/** GET /v2/images/{id} as `entry` (throws on anything but 200). */
export async function getImage(cloudsFile: string, entry: string, imageId: string): Promise<GlanceImage> {
  return (await glance(cloudsFile, entry, "GET", `/v2/images/${encodeURIComponent(imageId)}`, [200])).body;
}

/** Change an image's visibility (shared -> private hides its members; back to shared shows them again). */
export async function setImageVisibility(cloudsFile: string, entry: string, imageId: string, visibility: Visibility): Promise<void> {
  await glance(
    cloudsFile,
    entry,
    "PATCH",
    `/v2/images/${encodeURIComponent(imageId)}`,
    [200],
    [{ op: "replace", path: "/visibility", value: visibility }],
    "application/openstack-images-v2.1-json-patch",
  );
}

/**
 * The images `entry` sees: GET /v2/images with `query`, following `next` links to the end. By
 * default Glance lists a consumer's shared images only once it has accepted them.
 */
export async function listImages(cloudsFile: string, entry: string, query?: Record<string, string>): Promise<GlanceImage[]> {
  const images: GlanceImage[] = [];
  let path: string | undefined = `/v2/images?${new URLSearchParams({ limit: "200", ...query })}`;
  while (path) {
    const r: RawResponse = await glance(cloudsFile, entry, "GET", path, [200]);
    images.push(...(r.body.images as GlanceImage[]));
    path = r.body.next;
  }
  return images;
}

function membersPath(imageId: string, memberId?: string): string {
  const base = `/v2/images/${encodeURIComponent(imageId)}/members`;
  return memberId === undefined ? base : `${base}/${encodeURIComponent(memberId)}`;
}

/** POST /v2/images/{id}/members {"member": memberId}: 200 with status pending when it works. */
export function addMemberRaw(cloudsFile: string, entry: string, imageId: string, memberId: string) {
  return glanceRaw(cloudsFile, entry, "POST", membersPath(imageId), { member: memberId });
}

/** DELETE /v2/images/{id}/members/{member}: 204, or 404 when not a member. */
export function deleteMemberRaw(cloudsFile: string, entry: string, imageId: string, memberId: string) {
  return glanceRaw(cloudsFile, entry, "DELETE", membersPath(imageId, memberId));
}

/** PUT /v2/images/{id}/members/{member} {"status": status}: only the member itself (or admin) may. */
export function setMemberStatusRaw(cloudsFile: string, entry: string, imageId: string, memberId: string, status: MemberStatus | string) {
  return glanceRaw(cloudsFile, entry, "PUT", membersPath(imageId, memberId), { status });
}

/** GET /v2/images/{id}/members/{member}. */
export function getMemberRaw(cloudsFile: string, entry: string, imageId: string, memberId: string) {
  return glanceRaw(cloudsFile, entry, "GET", membersPath(imageId, memberId));
}

/** GET /v2/images/{id}/members: body `{members: [...]}`; a consumer sees only its own entry. */
export function listMembersRaw(cloudsFile: string, entry: string, imageId: string) {
  return glanceRaw(cloudsFile, entry, "GET", membersPath(imageId));
}

/** Revoke a token at Keystone (DELETE /v3/auth/tokens), acting with `entry`'s own token. */
export async function revokeToken(cloudsFile: string, entry: string, token: string): Promise<void> {
  const s = await session(cloudsFile, entry);
  const url = `${s.authUrl}/auth/tokens`;
  const r = await request("DELETE", url, { token: s.token, headers: { "X-Subject-Token": token } });
  if (r.status !== 204) throw new Error(`revoking a token: ${explain("DELETE", url, r)}`);
  if (token === s.token) sessions.delete(`${cloudsFile}\0${entry}`);
}

/** Forget cached sessions (e.g. after a Keystone restart in a test that wants fresh tokens). */
export function forgetSessions(): void {
  sessions.clear();
}
