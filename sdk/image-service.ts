import { isHttpError, unexpectedAnswer } from "./errors";
import { type HttpRequest, type HttpResponse, type RetryPolicy, send, type TransportOptions } from "./http";
import {
  accepts,
  type FailureContext,
  failure,
  imageUrl,
  membersUrl,
  memberUrl,
  type Operation,
  operations,
  parseJson,
  toImage,
  toMember,
} from "./image-members";
import { authenticate, credentialKey, imageEndpointFromCatalog, type Session, SessionCache } from "./keystone";
import { type ResolvedCloud, resolveCloud, type StackConfig } from "./settings";
import {
  allPages,
  checkSharedFilter,
  type ImageRecord,
  joinLists,
  type ListStatus,
  listsFor,
  parsePage,
  type SharedFilter,
  sharedImagesUrl,
} from "./shared-images";
import type { CloudOptions, Image, ImageService, Member, MemberStatus, SharedImage, SharedImageFilter } from "./types";
import { assertId, assertStatus } from "./validation";

/**
 * Knobs that are not part of the public options: for the provider and for tests.
 * @internal (left out of the published declarations: `stripInternal`)
 */
export interface OpenOptions {
  /** Stack config as the provider's `configure()` saw it (namespaced keys). */
  stackConfig?: StackConfig;
  /** Environment to read `OS_*` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
  onAttempt?: TransportOptions["onAttempt"];
}

// One token per credential set for the whole process.
const sessions = new SessionCache();

/** Drops every cached token: for tests that simulate a fresh process. @internal */
export function forgetTokens(): void {
  sessions.clear();
}

let insecureWarned = false;
function warnInsecure(cloud: ResolvedCloud): void {
  if (insecureWarned) return;
  insecureWarned = true;
  process.stderr.write(`pulumi-image-members: warning: TLS certificate verification is off (insecure) for ${cloud.source}\n`);
}

/**
 * Authenticates (once per credential set per process) and returns the member operations bound to
 * the credential's project and the Glance endpoint.
 *
 * @example
 * const glance = await openImageService({ cloud: "producer" });
 * await glance.createMember(imageId, consumerProjectId);
 */
export function openImageService(options?: CloudOptions): Promise<ImageService>;
/** With the provider's and the tests' knobs. @internal */
export function openImageService(options: CloudOptions | undefined, open: OpenOptions): Promise<ImageService>;
export async function openImageService(options: CloudOptions = {}, open: OpenOptions = {}): Promise<ImageService> {
  const cloud = resolveCloud(options, open.stackConfig ?? {}, open.env ?? process.env);
  if (cloud.insecure) warnInsecure(cloud);
  const transport: TransportOptions = {
    timeoutMs: cloud.timeoutMs,
    ...(cloud.ca ? { ca: cloud.ca } : {}),
    insecure: cloud.insecure,
    ...(open.retry ? { retry: open.retry } : {}),
    ...(open.onAttempt ? { onAttempt: open.onAttempt } : {}),
  };
  const key = credentialKey(cloud);
  const session = () => sessions.get(key, () => authenticate(cloud, transport));
  const first = await session();
  const found = cloud.imageEndpoint
    ? { url: cloud.imageEndpoint, region: cloud.region }
    : imageEndpointFromCatalog(first.catalog, cloud.region, cloud.interface, cloud.source);
  return new GlanceImageService(first.projectId, found.url, found.region, transport, session, (token) => sessions.invalidate(key, token));
}

class GlanceImageService implements ImageService {
  constructor(
    readonly projectId: string,
    readonly endpoint: string,
    readonly region: string | undefined,
    private readonly transport: TransportOptions,
    private readonly session: () => Promise<Session>,
    private readonly invalidate: (token: string) => void,
  ) {}

  async listMembers(imageId: string): Promise<Member[]> {
    assertId("imageId", imageId);
    const url = membersUrl(this.endpoint, imageId);
    const res = await this.call("listMembers", url, { imageId });
    const body = parseJson<{ members?: Parameters<typeof toMember>[0][] }>(res, "GET", url);
    if (!Array.isArray(body.members)) throw unexpectedAnswer("GET", url, res, "without a member list");
    return body.members.map(toMember);
  }

  async getMember(imageId: string, memberId: string): Promise<Member> {
    assertId("imageId", imageId);
    assertId("memberId", memberId);
    const url = memberUrl(this.endpoint, imageId, memberId);
    const res = await this.call("getMember", url, { imageId, memberId });
    return toMember(parseJson(res, "GET", url));
  }

  async createMember(imageId: string, memberId: string): Promise<Member> {
    assertId("imageId", imageId);
    assertId("memberId", memberId);
    const url = membersUrl(this.endpoint, imageId);
    const res = await this.call("createMember", url, { imageId, memberId }, { member: memberId });
    if (res.status === 409) {
      // accepted only after an attempt that may have acted (operations.createMember)
      // An earlier attempt reached Glance and created the member before its answer was lost.
      return this.getMember(imageId, memberId);
    }
    return toMember(parseJson(res, "POST", url));
  }

  async deleteMember(imageId: string, memberId: string): Promise<void> {
    assertId("imageId", imageId);
    assertId("memberId", memberId);
    await this.call("deleteMember", memberUrl(this.endpoint, imageId, memberId), { imageId, memberId });
  }

  async updateMemberStatus(imageId: string, memberId: string, status: MemberStatus): Promise<Member> {
    assertId("imageId", imageId);
    assertId("memberId", memberId);
    assertStatus("status", status);
    const url = memberUrl(this.endpoint, imageId, memberId);
    const res = await this.call("updateMemberStatus", url, { imageId, memberId }, { status });
    return toMember(parseJson(res, "PUT", url));
  }

  async getImage(imageId: string): Promise<Image> {
    assertId("imageId", imageId);
    const url = imageUrl(this.endpoint, imageId);
    const res = await this.call("getImage", url, { imageId });
    return toImage(parseJson(res, "GET", url));
  }

  async listSharedImages(filter?: SharedImageFilter): Promise<SharedImage[]> {
    const f = checkSharedFilter(filter);
    return this.readSharedLists(f, listsFor(f.memberStatus));
  }

  /** @internal The images shared with this project, without their status: one paged list. */
  async listSharedImageSet(filter?: Omit<SharedImageFilter, "memberStatus">): Promise<Omit<SharedImage, "memberStatus">[]> {
    const f = checkSharedFilter({ ...filter, memberStatus: "all" });
    return (await this.readSharedLists(f, ["all"])).map(({ memberStatus: _, ...image }) => image);
  }

  private async readSharedLists(f: SharedFilter, statuses: ListStatus[]): Promise<SharedImage[]> {
    const lists = await Promise.all(
      statuses.map((status) =>
        allPages(
          (marker) => sharedImagesUrl(this.endpoint, f, status, marker),
          async (url) => {
            try {
              const res = await this.call("listImages", url, { imageId: "" });
              return { page: parsePage(res, url) };
            } catch (e) {
              // the marker's image was deleted between two pages: Glance answers 400
              if (isHttpError(e, 400) && new URL(url).searchParams.has("marker")) return { markerGone: e };
              throw e;
            }
          },
        ),
      ),
    );
    return joinLists(this.projectId, f, new Map<ListStatus, ImageRecord[]>(statuses.map((s, i) => [s, lists[i]!])));
  }

  /**
   * Sends the operation's request with the session's token, re-authenticates once on 401, and turns
   * a status the operation does not accept into its error.
   */
  private async call(
    operation: Operation,
    url: string,
    ids: { imageId: string; memberId?: string },
    json?: unknown,
  ): Promise<HttpResponse> {
    const request: HttpRequest = { method: operations[operation].method, url, ...(json === undefined ? {} : { json }) };
    let session = await this.session();
    const sentAt = Date.now();
    let res = await send(withToken(request, session.token), this.transport);
    if (res.status === 401) {
      this.invalidate(session.token);
      session = await this.session();
      // A token another call renewed while this one was on its way can be old too: the re-sent
      // request needs one that outlives the time this request took.
      if (session.expiresAt - Date.now() < Date.now() - sentAt) {
        this.invalidate(session.token);
        session = await this.session();
      }
      const resent = await send(withToken(request, session.token), this.transport);
      // the first send may have acted before its answer was lost: that still counts
      res = { ...resent, attempts: res.attempts + resent.attempts, maybeActed: res.maybeActed || resent.maybeActed };
    }
    if (accepts(operation, res)) return res;
    const ctx: FailureContext = { operation, ...ids, projectId: this.projectId };
    if (operation === "createMember" && res.status === 403) ctx.image = await this.imageIfVisible(ids.imageId);
    throw failure(res, url, ctx);
  }

  /** The image record, to explain a refused create; undefined when it cannot be read. */
  private async imageIfVisible(imageId: string): Promise<Image | undefined> {
    try {
      return await this.getImage(imageId);
    } catch {
      return undefined;
    }
  }
}

function withToken(request: HttpRequest, token: string): HttpRequest {
  return { ...request, headers: { ...request.headers, "x-auth-token": token } };
}
