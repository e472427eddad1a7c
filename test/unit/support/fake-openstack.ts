import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Keystone + Glance stand-in on 127.0.0.1 for the faults a real server cannot be made to produce
 * (dropped connections, 503 bursts, slow answers). Real HTTP, in-memory members. A request no route
 * matches (or only routes that pass it on) gets a 501 and is recorded in `unmatched`, which the
 * fixture asserts is empty.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** "next": not this route's business (a fault for some members only); the next matching route answers. */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | "reset" | "hang" | "next";
export type Handler = (req: RecordedRequest, server: FakeOpenStack) => Reply | Promise<Reply>;

interface Route {
  method: string;
  path: RegExp;
  handler: Handler;
  /** Used this many more times, then falls through to the next route (undefined: forever). */
  times?: number;
}

export interface FakeMember {
  image_id: string;
  member_id: string;
  status: "pending" | "accepted" | "rejected";
  created_at: string;
  updated_at: string;
}

export interface FakeImage {
  id: string;
  owner: string;
  visibility: string;
  status: string;
  name?: string;
  tags?: string[];
  created_at?: string;
}

export const PROJECT_ID = "0123456789abcdef0123456789abcdef";

export class FakeOpenStack {
  readonly requests: RecordedRequest[] = [];
  readonly unmatched: RecordedRequest[] = [];
  /** image id -> members */
  readonly members = new Map<string, FakeMember[]>();
  readonly images = new Map<string, FakeImage>();
  /** Glance's `api_limit_max` and `limit_param_default` for `GET /v2/images`. */
  imageListLimitMax = 1000;
  imageListLimitDefault = 25;
  /** Called with the query of each `GET /v2/images` before it is answered (to change images between pages). */
  beforeImageList?: (query: URLSearchParams) => void;
  /** Tokens issued, in order; a token is valid until `revoke` or its expiry. */
  readonly tokens: string[] = [];
  readonly revoked = new Set<string>();
  tokenLifetimeSeconds = 3600;
  /** What the token's project is (the credential's scope). */
  projectId = PROJECT_ID;
  regions = [{ id: "RegionOne", interfaces: ["public", "internal", "admin"] }];
  private routes: Route[] = [];
  private readonly sockets = new Set<import("node:net").Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeOpenStack> {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const fake = new FakeOpenStack(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on("connection", (s) => {
      fake.sockets.add(s);
      s.on("close", () => fake.sockets.delete(s));
    });
    server.on("request", (req, res) => void fake.handle(req, res));
    fake.installDefaults();
    return fake;
  }

  get authUrl(): string {
    return `${this.url}/identity/v3`;
  }

  /** Glance's URL as the catalog gives it. */
  imageUrl(region = "RegionOne", iface = "public"): string {
    return `${this.url}/image/${region}/${iface}`;
  }

  /** Routes added later win; `times` limits a fault to the first N matching requests. */
  on(method: string, path: RegExp, handler: Handler, times?: number): void {
    this.routes.unshift({ method, path, handler, times });
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  get tokenRequests(): number {
    return this.count("POST", /\/auth\/tokens$/);
  }

  addImage(id: string, visibility = "shared", owner = this.projectId): void {
    this.images.set(id, { id, owner, visibility, status: "active" });
    this.members.set(id, this.members.get(id) ?? []);
  }

  /** An image of `owner` shared with the credential's project (`projectId`), with that member status. */
  addSharedImage(
    id: string,
    options: { owner: string; status?: FakeMember["status"]; name?: string; tags?: string[]; createdAt?: string },
  ): void {
    const createdAt = options.createdAt ?? new Date(Date.UTC(2026, 0, 1) + this.images.size * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    this.images.set(id, {
      id,
      owner: options.owner,
      visibility: "shared",
      status: "active",
      name: options.name,
      tags: options.tags ?? [],
      created_at: createdAt,
    });
    this.members.set(id, [
      { image_id: id, member_id: this.projectId, status: options.status ?? "pending", created_at: createdAt, updated_at: createdAt },
    ]);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    };
    this.requests.push(recorded);
    let reply: Reply = "next";
    for (const route of this.routes) {
      if (route.method !== recorded.method || !route.path.test(recorded.path.split("?")[0]!) || route.times === 0) continue;
      if (route.times !== undefined) route.times--;
      reply = await route.handler(recorded, this);
      if (reply !== "next") break;
    }
    if (reply === "next") {
      this.unmatched.push(recorded);
      res
        .writeHead(501, { "content-type": "application/json" })
        .end(JSON.stringify({ message: `no route for ${recorded.method} ${recorded.path}` }));
      return;
    }
    if (reply === "reset") {
      req.socket.destroy();
      return;
    }
    if (reply === "hang") return; // the client's timeout must fire; close() ends the socket
    const body = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(body ? { "content-type": "application/json" } : {}),
      "x-openstack-request-id": `req-${this.requests.length}`,
      ...reply.headers,
    });
    res.end(body);
  }

  private validToken(req: RecordedRequest): boolean {
    const t = req.headers["x-auth-token"];
    return typeof t === "string" && this.tokens.includes(t) && !this.revoked.has(t);
  }

  private installDefaults(): void {
    const glanceError = (status: number, message: string): Reply => ({
      status,
      body: { message: `${message}<br /><br />\n\n\n`, code: `${status}`, title: "Error" },
    });
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

    this.on("POST", /\/identity\/v3\/auth\/tokens$/, () => {
      const token = `tok-${this.tokens.length + 1}-${Math.random().toString(36).slice(2)}`;
      this.tokens.push(token);
      const issued = new Date();
      const expires = new Date(issued.getTime() + this.tokenLifetimeSeconds * 1000);
      return {
        status: 201,
        headers: { "x-subject-token": token },
        body: {
          token: {
            issued_at: issued.toISOString(),
            expires_at: expires.toISOString(),
            project: { id: this.projectId, name: "producer" },
            catalog: [
              {
                type: "image",
                name: "glance",
                endpoints: this.regions.flatMap((r) =>
                  r.interfaces.map((i) => ({ interface: i, region_id: r.id, region: r.id, url: this.imageUrl(r.id, i) })),
                ),
              },
            ],
          },
        },
      };
    });

    const image = /^\/image\/[^/]+\/[^/]+\/v2\/images\/([^/]+)$/;
    const members = /^\/image\/[^/]+\/[^/]+\/v2\/images\/([^/]+)\/members$/;
    const member = /^\/image\/[^/]+\/[^/]+\/v2\/images\/([^/]+)\/members\/([^/]+)$/;
    const ids = (path: string, re: RegExp) => re.exec(path)!.slice(1).map(decodeURIComponent);
    const authed =
      (h: Handler): Handler =>
      (req, s) =>
        this.validToken(req) ? h(req, s) : glanceError(401, "This server could not verify that you are authorized");

    // GET /v2/images as Glance 25 answers it: the project's own images, public and community ones, and
    // shared ones it is a member of with `member_status` (default accepted); `visibility`, `owner`,
    // repeated `tag`; sorted by created_at desc, id desc; paged by `limit` (capped) and `marker`
    // (400 when its image is gone); a `next` link whenever a page is full, whose query keeps one `tag` only.
    this.on(
      "GET",
      /^\/image\/[^/]+\/[^/]+\/v2\/images$/,
      authed((req) => {
        const url = new URL(req.path, "http://fake");
        const q = url.searchParams;
        this.beforeImageList?.(q);
        const status = q.get("member_status") ?? "accepted";
        if (!["accepted", "pending", "rejected", "all"].includes(status)) return glanceError(400, `Invalid status value: ${status}`);
        const visibility = q.get("visibility");
        const owner = q.get("owner");
        const tags = q.getAll("tag");
        const limit = Math.min(this.imageListLimitMax, q.has("limit") ? Number(q.get("limit")) : this.imageListLimitDefault);
        const listed = [...this.images.values()]
          .filter((img) => {
            const mine = img.owner === this.projectId;
            const membership = this.members.get(img.id)?.find((m) => m.member_id === this.projectId);
            const asMember = img.visibility === "shared" && membership !== undefined && (status === "all" || membership.status === status);
            if (!(mine || asMember || img.visibility === "public" || img.visibility === "community")) return false;
            if (visibility && img.visibility !== visibility) return false;
            if (owner && img.owner !== owner) return false;
            return tags.every((t) => (img.tags ?? []).includes(t));
          })
          .sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? "") || b.id.localeCompare(a.id));
        let start = 0;
        const marker = q.get("marker");
        if (marker !== null) {
          const i = listed.findIndex((img) => img.id === marker);
          if (i < 0) return glanceError(400, `Image ${marker} could not be found.`);
          start = i + 1;
        }
        const page = listed.slice(start, start + limit);
        const body: Record<string, unknown> = {
          images: page.map((img) => ({ ...img, tags: img.tags ?? [] })),
          first: "/v2/images",
          schema: "/v2/schemas/images",
        };
        if (page.length > 0 && page.length === limit) {
          const params = Object.fromEntries(q); // one value per key, as Glance's dict(request.params)
          params.marker = page[page.length - 1]!.id;
          body.next = `/v2/images?${new URLSearchParams(params)}`;
        }
        return { status: 200, body };
      }),
    );
    this.on(
      "GET",
      image,
      authed((req) => {
        const [id] = ids(req.path, image);
        const img = this.images.get(id!);
        return img ? { status: 200, body: img } : glanceError(404, `No image found with ID ${id}`);
      }),
    );
    this.on(
      "GET",
      members,
      authed((req) => {
        const [id] = ids(req.path, members);
        const list = this.members.get(id!);
        return list ? { status: 200, body: { members: list, schema: "/v2/schemas/members" } } : glanceError(404, `Image ${id} not found.`);
      }),
    );
    this.on(
      "POST",
      members,
      authed((req) => {
        const [id] = ids(req.path, members);
        const img = this.images.get(id!);
        if (!img) return glanceError(404, `Image ${id} not found.`);
        if (img.visibility !== "shared" || img.owner !== this.projectId)
          return glanceError(403, `Not allowed to create members for image ${id}.`);
        const memberId = (JSON.parse(req.body) as { member: string }).member;
        const list = this.members.get(id!)!;
        if (list.some((m) => m.member_id === memberId)) return glanceError(409, `Member ${memberId} is duplicated for image ${id}`);
        const m: FakeMember = { image_id: id!, member_id: memberId, status: "pending", created_at: now(), updated_at: now() };
        list.push(m);
        return { status: 200, body: { ...m, schema: "/v2/schemas/member" } };
      }),
    );
    this.on(
      "GET",
      member,
      authed((req) => {
        const [id, memberId] = ids(req.path, member);
        const m = this.members.get(id!)?.find((x) => x.member_id === memberId);
        return m ? { status: 200, body: m } : glanceError(404, `${memberId} not found in the member list of the image ${id}.`);
      }),
    );
    this.on(
      "PUT",
      member,
      authed((req) => {
        const [id, memberId] = ids(req.path, member);
        const m = this.members.get(id!)?.find((x) => x.member_id === memberId);
        if (!m) return glanceError(404, `${memberId} not found in the member list of the image ${id}.`);
        const status = (JSON.parse(req.body) as { status: FakeMember["status"] }).status;
        if (m.status !== status) {
          m.status = status;
          m.updated_at = now();
        }
        return { status: 200, body: m };
      }),
    );
    this.on(
      "DELETE",
      member,
      authed((req) => {
        const [id, memberId] = ids(req.path, member);
        const list = this.members.get(id!);
        const i = list?.findIndex((x) => x.member_id === memberId) ?? -1;
        if (!list || i < 0) return glanceError(404, `${memberId} not found in the member list of the image ${id}.`);
        list.splice(i, 1);
        return { status: 204 };
      }),
    );
  }
}
