/**
 * A fault-injecting HTTP reverse proxy for tests: it listens on 127.0.0.1 (a free port) in front of
 * one upstream (the suite's Glance or Keystone) and, request by request, decides from a seeded PRNG
 * whether to pass the request through or to inject a fault:
 *
 * - `dropBefore`: reset the client's connection before forwarding (the server never acted);
 * - `dropAfter`: forward, read the upstream's whole answer, then reset the client's connection
 *   (the server acted, the client never learns it);
 * - `status503`: answer 503 without forwarding, `burst` consecutive matching requests in a row,
 *   after which the next matching request is never a 503 (so a retrying client sees N 503s, then a pass);
 * - `status429`: answer 429 with `Retry-After: <retryAfterSeconds>` without forwarding;
 * - `latency`: wait `minMs..maxMs` before forwarding.
 *
 * Besides these seeded faults, `refusals` answer every request they match with a fixed status (a
 * 403, say), without forwarding: a persistent, non-retryable refusal, optionally only of requests
 * whose body contains some text (one member's POST among many). A refused request still consumes
 * its two draws; the fault drawn for it is dropped.
 *
 * Each kind has a `rate` (0..1), optionally limited to requests whose method and path (the path
 * without the query) match, and optionally to `max` occurrences. At most one kind applies to a
 * request: one draw per request walks the kinds that match it in the order above, so the rates add
 * up (their sum must stay ≤ 1). Every request consumes exactly two draws, so the same seed and the
 * same sequence of requests give the same sequence of faults: a failing run is replayed by passing
 * the seed it reported (`proxy.seed`, and the first field of `summary()`).
 *
 * The proxy streams request and response bodies, keeps client connections alive, forwards every
 * header except hop-by-hop ones (`x-auth-token`, `x-subject-token`, `x-openstack-request-id` pass
 * as they are) and keeps a log per request: method, path, fault, upstream status. It never records
 * a header value; it remembers the tokens it saw only so `containsSecret(text)` can tell a test
 * whether some text leaks one.
 *
 *     const proxy = await startFaultProxy(testCloud().imageUrl, {
 *       faults: { dropAfter: { rate: 0.1, method: "POST" }, status429: { rate: 0.05, retryAfterSeconds: 1 } },
 *     });
 *     const glance = await openImageService({ cloud: "producer", imageEndpoint: proxy.url });
 *     ...
 *     console.log(proxy.summary());   // seed=… requests=… dropAfter=… status429=… | POST …
 *     await proxy.close();
 *
 * `cloudsFileVia(cloudsFile, { keystone, glance, cacert, insecure })` writes a copy of a clouds.yaml
 * whose entries go through such proxies (or TLS terminators, see test/support/tls-terminator.ts).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

// ---- the deterministic part ---------------------------------------------------------------------

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed gives the same numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh random 32-bit seed. */
export const randomSeed = (): number => Math.floor(Math.random() * 0x1_0000_0000) >>> 0;

export const FAULT_KINDS = ["dropBefore", "dropAfter", "status503", "status429", "latency"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  /** Probability (0..1) that a matching request gets this fault. */
  rate: number;
  /** Only requests with this method (or one of these); default all. */
  method?: string | string[];
  /** Only requests whose path (without query) matches; default all. */
  path?: RegExp;
  /** At most this many occurrences (bursts, for status503); default unlimited. */
  max?: number;
}

export interface FaultConfig {
  dropBefore?: FaultRule;
  dropAfter?: FaultRule;
  /** `burst`: how many consecutive matching requests get 503 once a burst starts (default 1). */
  status503?: FaultRule & { burst?: number };
  /** `retryAfterSeconds`: the Retry-After header's value (default 1). */
  status429?: FaultRule & { retryAfterSeconds?: number };
  /** Added delay, uniform in minMs..maxMs (defaults 50..200). */
  latency?: FaultRule & { minMs?: number; maxMs?: number };
}

/** A refusal: every request it matches is answered `status` without being forwarded. */
export interface Refusal {
  method?: string | string[];
  /** Only requests whose path (without query) matches; default all. */
  path?: RegExp;
  /** Only requests whose body contains this text (e.g. a member id in a member POST). */
  bodyIncludes?: string;
  status: number;
  /** The answer's `message`; default `fault-proxy: refused with <status>`. */
  message?: string;
}

export interface FaultDecision {
  fault: FaultKind | "none";
  /** For latency: how long to wait. */
  latencyMs?: number;
  /** For status429: the Retry-After value. */
  retryAfterSeconds?: number;
  /** For status503: true on the request that started a burst. */
  burstStart?: boolean;
}

function validate(config: FaultConfig): void {
  let sum = 0;
  for (const kind of FAULT_KINDS) {
    const rule = config[kind];
    if (!rule) continue;
    if (!(rule.rate >= 0 && rule.rate <= 1)) throw new Error(`fault-proxy: ${kind}.rate must be within 0..1, not ${rule.rate}`);
    if (rule.max !== undefined && !(Number.isInteger(rule.max) && rule.max >= 0))
      throw new Error(`fault-proxy: ${kind}.max must be a non-negative integer`);
    sum += rule.rate;
  }
  if (sum > 1 + 1e-9)
    throw new Error(`fault-proxy: the fault rates add up to ${sum}, more than 1 (at most one fault applies to a request)`);
  const burst = config.status503?.burst;
  if (burst !== undefined && !(Number.isInteger(burst) && burst >= 1))
    throw new Error("fault-proxy: status503.burst must be an integer ≥ 1");
  const l = config.latency;
  if (l && (l.minMs ?? 50) > (l.maxMs ?? 200)) throw new Error("fault-proxy: latency.minMs must not exceed latency.maxMs");
}

function matches(rule: FaultRule, method: string, pathname: string): boolean {
  if (rule.method !== undefined) {
    const methods = (Array.isArray(rule.method) ? rule.method : [rule.method]).map((m) => m.toUpperCase());
    if (!methods.includes(method.toUpperCase())) return false;
  }
  if (rule.path) {
    rule.path.lastIndex = 0; // a /g or /y regex keeps state between tests otherwise
    if (!rule.path.test(pathname)) return false;
  }
  return true;
}

/**
 * The fault decisions alone, without sockets: what the proxy consults for every request. Exposed so
 * a test can know in advance which faults a seed produces for a sequence of requests.
 */
export class FaultPlanner {
  private random: () => number;
  private config: FaultConfig;
  private burstLeft = 0;
  private burstCooldown = false;
  private used: Record<FaultKind, number> = zeroKinds();

  constructor(
    readonly seed: number,
    config: FaultConfig = {},
  ) {
    validate(config);
    this.config = config;
    this.random = mulberry32(seed);
  }

  /** New rules; the PRNG continues where it was; bursts and `max` counts start over. */
  setFaults(config: FaultConfig): void {
    validate(config);
    this.config = config;
    this.burstLeft = 0;
    this.burstCooldown = false;
    this.used = zeroKinds();
  }

  /** Back to the first draw of the seed (or of a new one). */
  restart(seed: number = this.seed): void {
    (this as { seed: number }).seed = seed;
    this.random = mulberry32(seed);
    this.burstLeft = 0;
    this.burstCooldown = false;
    this.used = zeroKinds();
  }

  next(method: string, pathname: string): FaultDecision {
    // always two draws, whatever the outcome: the n-th request's fault depends on the seed only
    const u = this.random();
    const v = this.random();
    const c = this.config;
    const burstRule = c.status503 && matches(c.status503, method, pathname) ? c.status503 : undefined;
    if (burstRule && this.burstLeft > 0) {
      this.burstLeft--;
      if (this.burstLeft === 0) this.burstCooldown = true;
      return { fault: "status503" };
    }
    const cooldown = burstRule !== undefined && this.burstCooldown;
    if (burstRule) this.burstCooldown = false;
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      const rule = c[kind];
      if (!rule || !matches(rule, method, pathname)) continue;
      if (rule.max !== undefined && this.used[kind] >= rule.max) continue;
      if (kind === "status503" && cooldown) continue;
      cumulative += rule.rate;
      if (u >= cumulative) continue;
      this.used[kind]++;
      switch (kind) {
        case "status503": {
          this.burstLeft = (c.status503!.burst ?? 1) - 1;
          if (this.burstLeft === 0) this.burstCooldown = true;
          return { fault: kind, burstStart: true };
        }
        case "status429":
          return { fault: kind, retryAfterSeconds: c.status429!.retryAfterSeconds ?? 1 };
        case "latency": {
          const min = c.latency!.minMs ?? 50;
          const max = c.latency!.maxMs ?? 200;
          return { fault: kind, latencyMs: min + Math.floor(v * (max - min + 1)) };
        }
        default:
          return { fault: kind };
      }
    }
    return { fault: "none" };
  }
}

const zeroKinds = (): Record<FaultKind, number> => ({ dropBefore: 0, dropAfter: 0, status503: 0, status429: 0, latency: 0 });

// ---- forwarding (shared with test/support/tls-terminator.ts) ------------------------------------

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** rawHeaders without hop-by-hop ones (nor those the Connection header names); duplicates and case kept. */
function endToEnd(raw: string[], replaceHost?: string): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === "connection") for (const n of raw[i + 1]!.split(",")) named.add(n.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (replaceHost !== undefined && name === "host") continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (replaceHost !== undefined) out.push("Host", replaceHost);
  return out;
}

/** The path part of a request target, without the query (what fault rules and logs see). */
export function pathOf(target: string | undefined): string {
  const t = target ?? "/";
  const q = t.indexOf("?");
  return q < 0 ? t : t.slice(0, q);
}

/** Header names whose values are credentials: remembered (never logged) for leak checks. */
const CREDENTIAL_HEADERS = ["x-auth-token", "x-subject-token"];

/** The credential header values seen on the wire, kept in memory only to answer "does this text leak one?". */
export class SeenSecrets {
  private readonly values = new Set<string>();

  note(headers: http.IncomingHttpHeaders): void {
    for (const name of CREDENTIAL_HEADERS) {
      const v = headers[name];
      for (const s of Array.isArray(v) ? v : v === undefined ? [] : [v]) if (s.length >= 8) this.values.add(s);
    }
  }

  get size(): number {
    return this.values.size;
  }

  /** True when `text` contains a token seen on the wire. */
  containsSecret(text: string): boolean {
    for (const v of this.values) if (text.includes(v)) return true;
    return false;
  }
}

export interface ForwardResult {
  /** The upstream's status, when it answered. */
  status?: number;
  /** The error code when the upstream could not be reached or broke off. */
  error?: string;
}

export interface Upstream {
  url: URL;
  /** The upstream URL's path without a trailing slash, prefixed to every request's path. */
  prefix: string;
  agent: http.Agent;
}

export function upstreamOf(url: string): Upstream {
  const u = new URL(url);
  if (u.protocol !== "http:") throw new Error(`upstream must be an http:// URL, not ${u.protocol}`);
  return { url: u, prefix: u.pathname.replace(/\/+$/, ""), agent: new http.Agent({ keepAlive: true, maxSockets: 64 }) };
}

/**
 * Forwards `req` to the upstream, streaming both bodies. With `swallow`, the upstream's answer is
 * read to the end and the client's connection is then reset instead of answered.
 */
export function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: Upstream,
  seen: SeenSecrets,
  swallow = false,
  /** The request's body when it was read already (to match a refusal). */
  body?: Buffer,
): Promise<ForwardResult> {
  return new Promise<ForwardResult>((resolve) => {
    let done = false;
    const finish = (r: ForwardResult) => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    const outgoing = http.request({
      protocol: "http:",
      hostname: upstream.url.hostname,
      port: upstream.url.port,
      method: req.method,
      path: upstream.prefix + (req.url ?? "/"),
      headers: endToEnd(req.rawHeaders, upstream.url.host) as unknown as http.OutgoingHttpHeaders,
      agent: upstream.agent,
    });
    outgoing.on("response", (incoming) => {
      const status = incoming.statusCode ?? 0;
      seen.note(incoming.headers);
      if (swallow) {
        incoming.resume();
        incoming.on("end", () => {
          req.socket.resetAndDestroy();
          finish({ status });
        });
        incoming.on("error", () => finish({ status, error: "upstream-aborted" }));
        return;
      }
      res.writeHead(status, incoming.statusMessage, endToEnd(incoming.rawHeaders));
      incoming.pipe(res);
      incoming.on("error", () => {
        res.destroy();
        finish({ status, error: "upstream-aborted" });
      });
      res.on("finish", () => finish({ status }));
      res.on("close", () => finish({ status, ...(res.writableFinished ? {} : { error: "client-gone" }) }));
    });
    outgoing.on("error", (e: NodeJS.ErrnoException) => {
      const error = e.code ?? "error";
      if (!res.headersSent && !res.destroyed) {
        const body = JSON.stringify({ message: `fault-proxy: upstream ${upstream.url.host} unreachable: ${error}` });
        res.writeHead(502, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      } else {
        res.destroy();
      }
      finish({ error });
    });
    // the client going away mid-request: stop the upstream request too
    req.on("aborted", () => outgoing.destroy());
    res.on("close", () => {
      if (!res.writableFinished && !swallow) outgoing.destroy();
    });
    if (body) outgoing.end(body);
    else req.pipe(outgoing);
  });
}

// ---- the proxy ----------------------------------------------------------------------------------

export interface FaultLogEntry {
  /** 1-based request number. */
  seq: number;
  method: string;
  /** Path without the query. */
  path: string;
  /** The query (without `?`), when the request had one. */
  query?: string;
  fault: FaultKind | "none";
  /** The upstream's status, when the request reached it and it answered. */
  upstreamStatus?: number;
  /** What the client got from the proxy: a status, or "reset". */
  clientSaw?: number | "reset";
  /** Answered by a refusal (`clientSaw` its status), not forwarded. */
  refused?: true;
  latencyMs?: number;
  /** Error code when the upstream could not be reached or the exchange broke off. */
  error?: string;
}

export interface MethodStats {
  requests: number;
  forwarded: number;
  faulted: number;
  faults: Record<FaultKind, number>;
}

export interface FaultStats {
  seed: number;
  /** Client connections accepted. */
  connections: number;
  requests: number;
  /** Requests that reached the upstream. */
  forwarded: number;
  /** Requests that got a fault (any kind). */
  faulted: number;
  /** Per kind: requests that got it (status503 counts every 503 answered, bursts how many bursts began). */
  faults: Record<FaultKind, number>;
  bursts: number;
  upstreamErrors: number;
  byMethod: Record<string, MethodStats>;
}

export interface FaultProxyOptions {
  /** Seed for the PRNG; default random (reported as `proxy.seed`). */
  seed?: number;
  faults?: FaultConfig;
  refusals?: Refusal[];
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly upstream: string;
  /** The seed in use: give it back as `seed` to replay a run. */
  readonly seed: number;
  stats(): FaultStats;
  /** A copy of the per-request log. */
  log(): FaultLogEntry[];
  /** One line: seed, counts per fault kind and per method. */
  summary(): string;
  /** Clears counters and log and restarts the PRNG from the seed (or a new one): the same requests get the same faults again. */
  reset(options?: { seed?: number }): void;
  /** Replaces the fault rules (`{}`: pass everything); the PRNG continues. */
  setFaults(faults: FaultConfig): void;
  /** Replaces the refusals (`[]`: none). */
  setRefusals(refusals: Refusal[]): void;
  /** True when `text` contains a token the proxy saw in a header (values are never exposed). */
  containsSecret(text: string): boolean;
  /** How many distinct tokens the proxy saw. */
  readonly secretsSeen: number;
  /** Stops listening, resets open connections, drops upstream sockets. */
  close(): Promise<void>;
}

function emptyStats(seed: number): FaultStats {
  return { seed, connections: 0, requests: 0, forwarded: 0, faulted: 0, faults: zeroKinds(), bursts: 0, upstreamErrors: 0, byMethod: {} };
}

/** Starts a fault proxy on 127.0.0.1 (a free port) in front of `upstream` (an http:// origin, path prefix kept). */
export async function startFaultProxy(upstream: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const up = upstreamOf(upstream);
  let seed = options.seed ?? randomSeed();
  const planner = new FaultPlanner(seed, options.faults ?? {});
  let refusals = options.refusals ?? [];
  const seen = new SeenSecrets();
  let stats = emptyStats(seed);
  let entries: FaultLogEntry[] = [];
  let generation = 0; // requests from before a reset() do not count into the new stats
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const gen = generation;
    const method = req.method ?? "GET";
    const pathname = pathOf(req.url);
    seen.note(req.headers);
    const decision = planner.next(method, pathname);
    const byMethod = (stats.byMethod[method] ??= { requests: 0, forwarded: 0, faulted: 0, faults: zeroKinds() });
    const entry: FaultLogEntry = { seq: ++stats.requests, method, path: pathname, fault: "none" };
    const query = (req.url ?? "").slice(pathname.length + 1);
    if (query) entry.query = query;
    entries.push(entry);
    byMethod.requests++;
    const current = () => gen === generation;
    let body: Buffer | undefined; // read already, when a refusal had to look at it
    const pass = async (swallow: boolean) => {
      if (current()) {
        stats.forwarded++;
        byMethod.forwarded++;
      }
      const r = await forward(req, res, up, seen, swallow, body);
      if (r.status !== undefined) entry.upstreamStatus = r.status;
      if (r.error !== undefined) {
        entry.error = r.error;
        if (current() && r.status === undefined) stats.upstreamErrors++;
      }
      entry.clientSaw = swallow ? "reset" : (r.status ?? (res.headersSent ? res.statusCode : "reset"));
    };
    const answer = (status: number, extra: Record<string, string>, message = `fault-proxy: injected ${status}`) => {
      const send = () => {
        const text = JSON.stringify({ message });
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...extra });
        res.end(text);
        entry.clientSaw = status;
      };
      if (body) return send();
      // read the request to its end first, so the connection stays usable (keep-alive)
      req.resume();
      req.on("end", send);
    };
    const proceed = () => {
      entry.fault = decision.fault;
      if (decision.fault !== "none" && current()) {
        stats.faulted++;
        stats.faults[decision.fault]++;
        byMethod.faulted++;
        byMethod.faults[decision.fault]++;
        if (decision.burstStart) stats.bursts++;
      }
      switch (decision.fault) {
        case "dropBefore":
          entry.clientSaw = "reset";
          req.socket.resetAndDestroy();
          return;
        case "dropAfter":
          void pass(true);
          return;
        case "status503":
          answer(503, {});
          return;
        case "status429":
          answer(429, { "retry-after": String(decision.retryAfterSeconds ?? 1) });
          return;
        case "latency": {
          entry.latencyMs = decision.latencyMs;
          const t = setTimeout(() => {
            timers.delete(t);
            if (req.socket.destroyed) {
              entry.clientSaw = "reset";
              entry.error = "client-gone";
              return;
            }
            void pass(false);
          }, decision.latencyMs ?? 0);
          timers.add(t);
          return;
        }
        default:
          void pass(false);
      }
    };
    const refusing = refusals.filter((r) => matches({ rate: 1, method: r.method, path: r.path }, method, pathname));
    if (refusing.length > 0) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        body = Buffer.concat(chunks);
        const text = body.toString();
        const refusal = refusing.find((r) => r.bodyIncludes === undefined || text.includes(r.bodyIncludes));
        if (!refusal) return proceed();
        entry.refused = true;
        answer(refusal.status, {}, refusal.message ?? `fault-proxy: refused with ${refusal.status}`);
      });
      return;
    }
    proceed();
  });
  server.keepAliveTimeout = 60_000; // longer than a test: a client never reuses a socket we just closed
  server.headersTimeout = 65_000;
  server.on("connection", () => {
    stats.connections++;
  });
  server.on("clientError", (_e, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    upstream,
    get seed() {
      return seed;
    },
    stats: () => structuredClone(stats),
    log: () => entries.map((e) => ({ ...e })),
    summary: () => summarize(stats),
    reset(opts = {}) {
      seed = opts.seed ?? seed;
      planner.restart(seed);
      generation++;
      stats = emptyStats(seed);
      entries = [];
    },
    setFaults(faults) {
      planner.setFaults(faults);
    },
    setRefusals(next) {
      refusals = next;
    },
    containsSecret: (text) => seen.containsSecret(text),
    get secretsSeen() {
      return seen.size;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      up.agent.destroy();
    },
  };
  return proxy;
}

/** `seed=… requests=… forwarded=… faulted=… dropBefore=… … | POST 110 (faulted 21) GET 12 (faulted 2)` */
export function summarize(s: FaultStats): string {
  const kinds = FAULT_KINDS.map((k) => `${k}=${s.faults[k]}${k === "status503" ? ` (bursts ${s.bursts})` : ""}`).join(" ");
  const methods = Object.entries(s.byMethod)
    .map(([m, v]) => `${m} ${v.requests} (faulted ${v.faulted})`)
    .join(", ");
  return (
    `seed=${s.seed} requests=${s.requests} forwarded=${s.forwarded} faulted=${s.faulted} ${kinds}` +
    ` upstreamErrors=${s.upstreamErrors} connections=${s.connections}${methods ? ` | ${methods}` : ""}`
  );
}

// ---- clouds.yaml through proxies ------------------------------------------------------------------

export interface CloudsVia {
  /** Keystone base URL (e.g. a proxy's or terminator's url); the original auth_url's path (/v3) is kept. */
  keystone?: string;
  /** Glance URL: becomes every entry's image_endpoint_override. */
  glance?: string;
  /** CA file: every entry's `cacert`. */
  cacert?: string;
  /** true: every entry gets `verify: false`; false: `verify: true`. */
  insecure?: boolean;
}

let copiesDir: string | undefined;

/**
 * Writes a copy of `cloudsFile` (mode 0600, in a private temporary dir) whose every entry goes
 * through the given Keystone and/or Glance URLs, and returns its path. The copies hold passwords:
 * call `removeCloudsCopies()` in an `afterAll` (vitest's workers do not always run exit handlers;
 * one is registered as a fallback).
 */
export function cloudsFileVia(cloudsFile: string, via: CloudsVia): string {
  const doc = (parseYaml(fs.readFileSync(cloudsFile, "utf8")) ?? {}) as { clouds?: Record<string, Record<string, any>> };
  for (const entry of Object.values(doc.clouds ?? {})) {
    if (!entry || typeof entry !== "object") continue;
    if (via.keystone !== undefined && entry.auth?.auth_url) {
      const original = new URL(String(entry.auth.auth_url));
      const target = new URL(via.keystone);
      const base = target.pathname.replace(/\/+$/, "");
      entry.auth.auth_url = `${target.protocol}//${target.host}${base || original.pathname.replace(/\/+$/, "")}`;
    }
    if (via.glance !== undefined) entry.image_endpoint_override = via.glance;
    if (via.cacert !== undefined) entry.cacert = via.cacert;
    if (via.insecure !== undefined) entry.verify = !via.insecure;
  }
  if (!copiesDir || !fs.existsSync(copiesDir)) {
    copiesDir = fs.mkdtempSync(path.join(os.tmpdir(), "clouds-via-"));
    const dir = copiesDir;
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const file = path.join(copiesDir, `clouds-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.yaml`);
  fs.writeFileSync(file, stringifyYaml(doc), { mode: 0o600 });
  return file;
}

/** Deletes every copy `cloudsFileVia` wrote in this process. */
export function removeCloudsCopies(): void {
  if (copiesDir) fs.rmSync(copiesDir, { recursive: true, force: true });
  copiesDir = undefined;
}

// ---- leak checks ----------------------------------------------------------------------------------

export interface SecretHolder {
  containsSecret(text: string): boolean;
}

/**
 * Which of `texts` contain one of `secrets` or a token one of `holders` saw: descriptions such as
 * `text 3 contains secret #1`; never the secret itself nor the text around it. Empty: no leak.
 */
export function leaksIn(texts: string[], secrets: string[], holders: SecretHolder[] = []): string[] {
  const out: string[] = [];
  texts.forEach((text, i) => {
    secrets.forEach((s, j) => {
      if (s && text.includes(s)) out.push(`text ${i} contains secret #${j}`);
    });
    holders.forEach((h, j) => {
      if (h.containsSecret(text)) out.push(`text ${i} contains a token seen by holder #${j}`);
    });
  });
  return out;
}
