import * as http from "node:http";
import * as https from "node:https";
// got's types stay inside this file: no published declaration may name one (got's own declarations
// fail to compile in a `pulumi new typescript` project; test/types/published-types.test.ts).
import type { Got } from "got" with { "resolution-mode": "import" };
import { displayUrl, networkError } from "./errors";

/**
 * One place that sends requests: keep-alive agents shared by the whole process, a timeout on every
 * request, and one retry policy applied to every method alike. Callers decide what a status
 * means (a POST's 409 after a retry, a DELETE's 404); this module only says how many attempts it took.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking for longer than this is waited for this long only. */
  maxRetryAfterMs: number;
}

// 250 ms doubling to 4 s, ten attempts: between ~12 s and ~24 s of waiting in all, enough to ride out a
// Glance or Keystone restart (~10 s) without making a real outage hang for minutes.
export const defaultRetryPolicy: RetryPolicy = { attempts: 10, baseDelayMs: 250, maxDelayMs: 4_000, maxRetryAfterMs: 60_000 };

const retryableStatuses = new Set([429, 500, 502, 503, 504]);
// statuses and connection errors after which the server certainly did nothing
const notActedStatuses = new Set([429, 503]);
const notSentCodes = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

const retryableCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * How long to wait before attempt `attempt + 1`, or undefined to stop. Pure, so the policy is
 * testable without clocks: exponential backoff with equal jitter, or the server's `Retry-After`.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfter?: string,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.attempts) return undefined;
  if (retryAfter !== undefined) {
    const secs = Number(retryAfter);
    const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), policy.maxRetryAfterMs);
  }
  const ceiling = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return ceiling / 2 + random() * (ceiling / 2);
}

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** How many attempts it took (1 when the first answer was kept). */
  attempts: number;
  /**
   * Whether an earlier attempt may have reached the server and acted before its answer was lost
   * (a reset, a timeout, a 500/502/504). A 429 or 503 says the server did not act, and a refused
   * connection never reached it.
   */
  maybeActed: boolean;
}

export interface TransportOptions {
  timeoutMs: number;
  ca?: Buffer;
  insecure?: boolean;
  retry?: RetryPolicy;
  /** Called once per attempt, for tests and request counting. Never receives headers. */
  onAttempt?: (event: { method: string; url: string; attempt: number; status?: number; error?: string }) => void;
}

// got is ESM-only; a dynamic import works from CommonJS on every Node version we support.
let gotPromise: Promise<Got> | undefined;
const loadGot = () => (gotPromise ??= import("got").then((m) => m.default));

/** Starts loading the HTTP client (≈ 90 ms) ahead of the first request; a failure shows there. */
export function preloadHttpClient(): void {
  loadGot().catch(() => undefined);
}

// One keep-alive agent per protocol for the whole process: every resource in a `pulumi up` shares them.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function send(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
  const got = await loadGot();
  const policy = options.retry ?? defaultRetryPolicy;
  const headers: Record<string, string> = {
    // without it Glance answers errors as HTML pages (webob's default error body, measured on Glance 25)
    accept: "application/json",
    "user-agent": "pulumi-image-members",
    ...request.headers,
  };
  let maybeActed = false;
  for (let attempt = 1; ; attempt++) {
    let delay: number | undefined;
    try {
      const res = await got(request.url, {
        method: request.method,
        headers,
        ...(request.json === undefined ? {} : { json: request.json }),
        agent: agents,
        https: { ...(options.ca ? { certificateAuthority: options.ca } : {}), rejectUnauthorized: !options.insecure },
        timeout: { request: options.timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        responseType: "text",
      });
      options.onAttempt?.({ method: request.method, url: displayUrl(request.url), attempt, status: res.statusCode });
      const answer = { status: res.statusCode, headers: res.headers, body: res.body, attempts: attempt, maybeActed };
      if (!retryableStatuses.has(res.statusCode)) return answer;
      const retryAfter = res.headers["retry-after"];
      delay = retryDelay(policy, attempt, typeof retryAfter === "string" ? retryAfter : undefined);
      if (delay === undefined) return answer;
      if (!notActedStatuses.has(res.statusCode)) maybeActed = true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      options.onAttempt?.({ method: request.method, url: displayUrl(request.url), attempt, error: code });
      delay = retryableCodes.has(code) ? retryDelay(policy, attempt) : undefined;
      if (delay === undefined) throw networkError(request.method, request.url, error as Error, attempt);
      if (!notSentCodes.has(code)) maybeActed = true;
    }
    await sleep(delay);
  }
}
