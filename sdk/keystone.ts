import { createHash } from "node:crypto";
import { authError, configError, header, type ImageMembersError, notJsonError, unscopedTokenError } from "./errors";
import { type HttpResponse, send, type TransportOptions } from "./http";
import type { AuthSpec, Interface, ResolvedCloud } from "./settings";
import { trimEndpoint } from "./settings";

/**
 * Keystone v3 authentication: one token per credential set per process, shared by every caller
 * (the promise is cached, since the engine runs steps in parallel), renewed before it expires, and
 * dropped when Glance answers 401 so the next caller authenticates again.
 */

export interface CatalogEndpoint {
  interface: string;
  region?: string;
  region_id?: string;
  url: string;
}
export interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface Session {
  token: string;
  projectId: string;
  catalog: CatalogEntry[];
  /** Local clock times (ms), so a skewed server clock does not matter. */
  obtainedAt: number;
  expiresAt: number;
}

/** `http://host:5000` and `http://host:5000/v3/` both mean the v3 API. */
export function identityUrl(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

function domain(id?: string, name?: string) {
  return id ? { id } : { name };
}

function user(a: AuthSpec) {
  return a.userId ? { id: a.userId } : { name: a.username, domain: domain(a.userDomainId, a.userDomainName) };
}

function scope(a: AuthSpec) {
  return { project: a.projectId ? { id: a.projectId } : { name: a.projectName, domain: domain(a.projectDomainId, a.projectDomainName) } };
}

/** The body of `POST /v3/auth/tokens` (Keystone API reference, "Authentication and token management"). */
export function authRequestBody(a: AuthSpec): unknown {
  switch (a.method) {
    case "password":
      return { auth: { identity: { methods: ["password"], password: { user: { ...user(a), password: a.password } } }, scope: scope(a) } };
    case "application_credential": {
      // an application credential carries its own scope: Keystone refuses an explicit one
      const cred = a.applicationCredentialId
        ? { id: a.applicationCredentialId, secret: a.applicationCredentialSecret }
        : { name: a.applicationCredentialName, user: user(a), secret: a.applicationCredentialSecret };
      return { auth: { identity: { methods: ["application_credential"], application_credential: cred } } };
    }
    case "token":
      return { auth: { identity: { methods: ["token"], token: { id: a.token } }, scope: scope(a) } };
  }
}

interface TokenBody {
  token?: { expires_at?: string; issued_at?: string; project?: { id?: string }; catalog?: CatalogEntry[] };
}

function authFailure(cloud: ResolvedCloud, res: HttpResponse, url: string): ImageMembersError {
  const { method } = cloud.auth;
  const hint =
    method === "password"
      ? "check the user, password, project and their domains"
      : method === "token"
        ? "the token may have expired: get a new one"
        : "check the application credential's id or name and secret, and that it has not expired";
  const credentials = `${method === "application_credential" ? "the application credential" : `the ${method} credentials`} from ${cloud.source}`;
  return authError(url, res, credentials, hint);
}

/** `POST /v3/auth/tokens` answers 201; some deployments' proxies answer 200. */
const TOKEN_ISSUED: readonly number[] = [201, 200];

export async function authenticate(cloud: ResolvedCloud, transport: TransportOptions): Promise<Session> {
  const url = `${identityUrl(cloud.auth.authUrl)}/auth/tokens`;
  const obtainedAt = Date.now();
  const res = await send({ method: "POST", url, json: authRequestBody(cloud.auth) }, transport);
  if (!TOKEN_ISSUED.includes(res.status)) throw authFailure(cloud, res, url);
  const token = header(res, "x-subject-token");
  let body: TokenBody;
  try {
    body = JSON.parse(res.body) as TokenBody;
  } catch {
    throw notJsonError("POST", url, res, "check that the auth URL points at Keystone's v3 API");
  }
  const projectId = body.token?.project?.id;
  if (!token || !projectId) throw unscopedTokenError(url, res);
  const issued = Date.parse(body.token?.issued_at ?? "");
  const expires = Date.parse(body.token?.expires_at ?? "");
  const lifetime = Number.isFinite(issued) && Number.isFinite(expires) && expires > issued ? expires - issued : 3_600_000;
  // Keystone gives issued_at and expires_at truncated to whole seconds: the token may expire up to a
  // second before obtainedAt + lifetime
  return {
    token,
    projectId,
    catalog: body.token?.catalog ?? [],
    obtainedAt,
    expiresAt: obtainedAt + lifetime - Math.min(1000, lifetime / 2),
  };
}

/** Renew a token this long before it expires: a minute, or a quarter of a short lifetime. */
export function renewalMargin(session: Session): number {
  return Math.min(60_000, (session.expiresAt - session.obtainedAt) / 4);
}

/** The credential set a token belongs to; hashed so the cache holds no secret in its keys. */
export function credentialKey(cloud: ResolvedCloud): string {
  return createHash("sha256")
    .update(JSON.stringify([cloud.auth, cloud.insecure, cloud.ca?.toString("base64") ?? ""]))
    .digest("hex");
}

interface CacheEntry {
  promise: Promise<Session>;
  session?: Session;
}

/** Single-flight token cache: concurrent callers on one credential set share one request. */
export class SessionCache {
  private readonly entries = new Map<string, CacheEntry>();

  get(key: string, fetch: () => Promise<Session>, now: () => number = Date.now): Promise<Session> {
    const cached = this.entries.get(key);
    if (cached && (!cached.session || now() < cached.session.expiresAt - renewalMargin(cached.session))) return cached.promise;
    const entry: CacheEntry = { promise: fetch() };
    this.entries.set(key, entry);
    entry.promise.then(
      (session) => {
        entry.session = session;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.promise;
  }

  /** After a 401: forget the token, unless another caller already replaced it. */
  invalidate(key: string, token: string): void {
    const cached = this.entries.get(key);
    if (cached?.session?.token === token) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The image service's URL for a region and interface (Keystone's catalog). */
export function imageEndpointFromCatalog(
  catalog: CatalogEntry[],
  region: string | undefined,
  iface: Interface,
  source: string,
): { url: string; region?: string } {
  const services = catalog.filter((s) => s.type === "image");
  if (services.length === 0) {
    throw configError(
      `the service catalog for ${source} has no image service`,
      "set imageEndpoint (clouds.yaml image_endpoint_override, stack config openstack:endpointOverrides) to Glance's URL",
    );
  }
  const all = services.flatMap((s) => s.endpoints);
  const regionOf = (e: CatalogEndpoint) => e.region_id ?? e.region;
  const matches = all.filter((e) => e.interface === iface && (region === undefined || regionOf(e) === region));
  const offered = [...new Set(all.map((e) => `${regionOf(e) ?? "(no region)"}/${e.interface}`))].join(", ");
  if (matches.length === 0) {
    throw configError(
      `no ${iface} image endpoint${region ? ` in region "${region}"` : ""} in the service catalog for ${source} (it offers: ${offered})`,
      "set region and interface to one of those, or imageEndpoint to Glance's URL",
    );
  }
  const regions = [...new Set(matches.map(regionOf))];
  if (region === undefined && regions.length > 1) {
    throw configError(
      `the image service is offered in several regions (${regions.join(", ")}) for ${source}`,
      "set region (clouds.yaml region_name, stack config openstack:region, OS_REGION_NAME)",
    );
  }
  const chosen = matches[0]!;
  const chosenRegion = regionOf(chosen);
  return { url: trimEndpoint(chosen.url), ...(chosenRegion ? { region: chosenRegion } : {}) };
}
