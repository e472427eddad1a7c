// A counting HTTP proxy on 127.0.0.1 in front of Keystone or Glance. Every client under test (the
// plugin process, the raw HTTP loop, openstacksdk) is pointed at these proxies through a clouds.yaml
// copy, so requests are counted where they arrive, whichever process sends them.
//
// Requests are classified by method and path (Keystone token POSTs; Glance member POST / GET one /
// GET list / PUT / DELETE; anything else is "other", e.g. version discovery), and by client
// (User-Agent family), so a phase's requests can be attributed. Each attempt counts (a retried
// request counts twice). The proxy also notes when the first member request (POST, GET one, GET list,
// PUT, DELETE) arrived and when the last one's answer was sent: the window in which a client
// worked on members, measured where the server sees it. The Host header is passed through unchanged so the servers' self links
// (version discovery) point back at the proxy.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export const REQUEST_KINDS = ["token", "post", "getOne", "getList", "put", "delete", "other"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface RequestCounts {
  token: number;
  post: number;
  getOne: number;
  getList: number;
  put: number;
  delete: number;
  other: number;
  /** Answers with a status >= 400, or no answer at all (counted in their kind too). */
  failed: number;
  /** Per client (User-Agent family): how many requests of each kind. */
  byClient: Record<string, Partial<Record<RequestKind, number>>>;
  /** Status codes seen, e.g. {"200": 20, "204": 20}. */
  statuses: Record<string, number>;
  /** performance.now() when the first member request arrived, and when the last member answer was sent (ms). */
  firstMemberAt?: number;
  lastMemberAt?: number;
}

export const MEMBER_KINDS: readonly RequestKind[] = ["post", "getOne", "getList", "put", "delete"];

/** From the first member request's arrival to the last member answer, ms (undefined when there was none). */
export function memberWindowMs(c: RequestCounts): number | undefined {
  return c.firstMemberAt !== undefined && c.lastMemberAt !== undefined ? c.lastMemberAt - c.firstMemberAt : undefined;
}

export function emptyCounts(): RequestCounts {
  return { token: 0, post: 0, getOne: 0, getList: 0, put: 0, delete: 0, other: 0, failed: 0, byClient: {}, statuses: {} };
}

/** Sum of several proxies' (or phases') counts. */
export function addCounts(...all: RequestCounts[]): RequestCounts {
  const out = emptyCounts();
  for (const c of all) {
    for (const k of REQUEST_KINDS) out[k] += c[k];
    out.failed += c.failed;
    for (const [client, kinds] of Object.entries(c.byClient)) {
      const into = (out.byClient[client] ??= {});
      for (const [k, n] of Object.entries(kinds)) into[k as RequestKind] = (into[k as RequestKind] ?? 0) + (n ?? 0);
    }
    for (const [s, n] of Object.entries(c.statuses)) out.statuses[s] = (out.statuses[s] ?? 0) + n;
    if (c.firstMemberAt !== undefined) out.firstMemberAt = Math.min(out.firstMemberAt ?? Infinity, c.firstMemberAt);
    if (c.lastMemberAt !== undefined) out.lastMemberAt = Math.max(out.lastMemberAt ?? -Infinity, c.lastMemberAt);
  }
  return out;
}

/** Total requests of every kind. */
export function totalRequests(c: RequestCounts): number {
  return REQUEST_KINDS.reduce((sum, k) => sum + c[k], 0);
}

const MEMBERS = /^\/v2\/images\/[^/]+\/members\/?$/;
const MEMBER = /^\/v2\/images\/[^/]+\/members\/[^/]+\/?$/;

export function classify(service: "keystone" | "glance", method: string, url: string): RequestKind {
  const path = url.split("?")[0];
  if (service === "keystone") return method === "POST" && /\/v3\/auth\/tokens\/?$/.test(path) ? "token" : "other";
  if (MEMBERS.test(path)) {
    if (method === "POST") return "post";
    if (method === "GET") return "getList";
  } else if (MEMBER.test(path)) {
    if (method === "GET") return "getOne";
    if (method === "PUT") return "put";
    if (method === "DELETE") return "delete";
  }
  return "other";
}

/** "pulumi-image-members", "openstacksdk", "bench-raw", "python-requests", ... */
export function clientFamily(userAgent: string | undefined): string {
  if (!userAgent) return "unknown";
  if (userAgent.includes("openstacksdk")) return "openstacksdk";
  if (userAgent.includes("keystoneauth")) return "keystoneauth";
  return userAgent.split(/[\s/]/)[0] || "unknown";
}

export class CountingProxy {
  private counts = emptyCounts();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  private readonly sockets = new Set<import("node:net").Socket>();

  private constructor(
    readonly service: "keystone" | "glance",
    /** The server behind the proxy, e.g. http://127.0.0.1:9292 */
    readonly target: URL,
    private readonly server: http.Server,
  ) {}

  /** The proxy's own URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static async start(service: "keystone" | "glance", target: string): Promise<CountingProxy> {
    const server = http.createServer({ keepAlive: true });
    const proxy = new CountingProxy(service, new URL(target), server);
    server.on("request", (req, res) => proxy.forward(req, res));
    server.on("connection", (s) => {
      proxy.sockets.add(s);
      s.once("close", () => proxy.sockets.delete(s));
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  /** The counts since the last take (and starts counting afresh). */
  take(): RequestCounts {
    const c = this.counts;
    this.counts = emptyCounts();
    return c;
  }

  private count(kind: RequestKind, client: string): void {
    this.counts[kind]++;
    const per = (this.counts.byClient[client] ??= {});
    per[kind] = (per[kind] ?? 0) + 1;
  }

  private status(code: number | "none"): void {
    const key = String(code);
    this.counts.statuses[key] = (this.counts.statuses[key] ?? 0) + 1;
    if (code === "none" || code >= 400) this.counts.failed++;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const kind = classify(this.service, method, url);
    this.count(kind, clientFamily(req.headers["user-agent"]));
    if (MEMBER_KINDS.includes(kind)) {
      this.counts.firstMemberAt ??= performance.now();
      res.once("close", () => (this.counts.lastMemberAt = performance.now()));
    }
    const headers = { ...req.headers };
    delete headers.connection;
    delete headers["keep-alive"];
    const upstream = http.request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method,
        path: url,
        headers,
        agent: this.agent,
      },
      (answer) => {
        this.status(answer.statusCode ?? 0);
        const out = { ...answer.headers };
        delete out.connection;
        delete out["keep-alive"];
        delete out["transfer-encoding"];
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      this.status("none");
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: `bench proxy: ${this.service} unreachable: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
      } else res.destroy();
    });
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
