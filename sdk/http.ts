import * as http from "node:http";
import * as https from "node:https";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
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
  // the worker thread stopped (a crash, or its heap limit) with the attempt in it: it may have been sent
  "ERR_HTTP_CLIENT_STOPPED",
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

/** One attempt as plain data: it crosses to the worker thread by structured clone. */
interface Attempt {
  method: HttpRequest["method"];
  url: string;
  headers: Record<string, string>;
  json?: unknown;
  timeoutMs: number;
  ca?: string;
  insecure: boolean;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Agents = { http: http.Agent; https: https.Agent };

/**
 * Sends one attempt with got. The worker thread runs it from its source text (as keepAliveAgents), so
 * it names nothing but its parameters and node:http(s): the same options on either thread.
 */
async function attemptWithGot(got: Got, agents: Agents, a: Attempt): Promise<Answer> {
  const res = await got(a.url, {
    method: a.method,
    headers: a.headers,
    ...(a.json === undefined ? {} : { json: a.json }),
    agent: agents,
    https: { ...(a.ca ? { certificateAuthority: a.ca } : {}), rejectUnauthorized: !a.insecure },
    timeout: { request: a.timeoutMs },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: "text",
  });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

/** One keep-alive agent per protocol, per thread: every resource in a `pulumi up` shares them. */
function keepAliveAgents(): Agents {
  return { http: new http.Agent({ keepAlive: true, maxSockets: 32 }), https: new https.Agent({ keepAlive: true, maxSockets: 32 }) };
}

/*
 * Where attempts run. got allocates about 100 KB per request, and after a few hundred requests V8
 * grows the calling thread's young generation to its 64 MiB ceiling: a plugin declaring 5,000
 * members would peak 1.6× as high as one that sends nothing. So a process's first attempts run here
 * (a refresh or a drift check sends a handful and pays no thread start), and every later one runs in
 * one worker thread whose heap its own resource limits bound; its start (≈ 75 ms) is paid once, by
 * processes that send many. Nothing process-wide changes: the worker is this library's own thread.
 */
const INLINE_ATTEMPTS = 64;
/** Attempts handed to the worker at once; the others wait on the calling thread. */
const WORKER_IN_FLIGHT = 32;

let attemptsStarted = 0;
let inlineAgents: Agents | undefined;

/** A failure that the worker reports or that stopping the worker causes, with got's error code. */
function attemptError(message: string, code: string | undefined): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const https = require("node:https");
${attemptWithGot.toString()}
${keepAliveAgents.toString()}
const agents = keepAliveAgents();
import(workerData.gotUrl).then(
  (m) => {
    const got = m.default;
    parentPort.on("message", ({ id, attempt }) => {
      attemptWithGot(got, agents, attempt).then(
        (answer) => parentPort.postMessage({ id, answer }),
        (e) => parentPort.postMessage({ id, error: { message: String((e && e.message) || e), code: e && e.code } }),
      );
    });
  },
  (e) => parentPort.postMessage({ failed: { message: String((e && e.message) || e), code: "ERR_HTTP_CLIENT_LOAD" } }),
);
`;

type Pending = { attempt: Attempt; resolve: (a: Answer) => void; reject: (e: Error) => void };

/** The worker thread and the attempts waiting for it or in it. */
class AttemptWorker {
  private readonly worker: Worker;
  private readonly inFlight = new Map<number, Pending>();
  private readonly waiting: Pending[] = [];
  private nextId = 0;
  private stopped: Error | undefined;

  constructor(onStop: () => void) {
    const gotUrl = pathToFileURL(require.resolve("got")).href;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { gotUrl },
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
      stdout: false,
      stderr: false,
    });
    const stop = (cause: Error) => {
      if (this.stopped) return;
      this.stopped = attemptError(cause.message, "ERR_HTTP_CLIENT_STOPPED");
      onStop();
      for (const p of [...this.inFlight.values(), ...this.waiting]) p.reject(this.stopped);
      this.inFlight.clear();
      this.waiting.length = 0;
    };
    this.worker.on("message", (m: WorkerMessage) => this.receive(m, stop));
    this.worker.on("messageerror", (e) => stop(e));
    this.worker.on("error", (e) => stop(e));
    this.worker.on("exit", (code) => stop(new Error(`exit code ${code}`)));
    this.worker.unref();
  }

  run(attempt: Attempt): Promise<Answer> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.waiting.push({ attempt, resolve, reject });
      this.pump();
    });
  }

  private receive(m: WorkerMessage, stop: (e: Error) => void): void {
    if ("failed" in m) {
      stop(attemptError(m.failed.message, m.failed.code));
      void this.worker.terminate();
      return;
    }
    const p = this.inFlight.get(m.id);
    if (!p) return;
    this.inFlight.delete(m.id);
    if ("answer" in m) p.resolve(m.answer);
    else p.reject(attemptError(m.error.message, m.error.code));
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < WORKER_IN_FLIGHT && this.waiting.length > 0) {
      const p = this.waiting.shift() as Pending;
      const id = this.nextId++;
      this.worker.postMessage({ id, attempt: p.attempt });
      this.inFlight.set(id, p);
    }
    // referenced only while it owes an answer: an idle worker never keeps the process alive
    if (this.inFlight.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}

type WorkerMessage =
  | { failed: { message: string; code?: string } }
  | { id: number; answer: Answer }
  | { id: number; error: { message: string; code?: string } };

let worker: AttemptWorker | undefined;

/** Runs one attempt: the process's first ones here, later ones in the worker (started on first need). */
function runAttempt(attempt: Attempt, here: boolean): Promise<Answer> {
  if (here || ++attemptsStarted <= INLINE_ATTEMPTS) {
    inlineAgents ??= keepAliveAgents();
    const agents = inlineAgents;
    return loadGot().then((got) => attemptWithGot(got, agents, attempt));
  }
  if (!worker) {
    const started = new AttemptWorker(() => {
      if (worker === started) worker = undefined;
    });
    worker = started;
  }
  return worker.run(attempt);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function send(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
  const policy = options.retry ?? defaultRetryPolicy;
  const attempt: Attempt = {
    method: request.method,
    url: request.url,
    headers: {
      // without it Glance answers errors as HTML pages (webob's default error body, measured on Glance 25)
      accept: "application/json",
      "user-agent": "pulumi-image-members",
      ...request.headers,
    },
    ...(request.json === undefined ? {} : { json: request.json }),
    timeoutMs: options.timeoutMs,
    ...(options.ca ? { ca: options.ca.toString() } : {}),
    insecure: options.insecure === true,
  };
  let maybeActed = false;
  // after the worker stopped with this request in it, the retries run on the calling thread
  let here = false;
  for (let n = 1; ; n++) {
    let delay: number | undefined;
    try {
      const res = await runAttempt(attempt, here);
      options.onAttempt?.({ method: request.method, url: displayUrl(request.url), attempt: n, status: res.status });
      const answer = { ...res, attempts: n, maybeActed };
      if (!retryableStatuses.has(res.status)) return answer;
      const retryAfter = res.headers["retry-after"];
      delay = retryDelay(policy, n, typeof retryAfter === "string" ? retryAfter : undefined);
      if (delay === undefined) return answer;
      if (!notActedStatuses.has(res.status)) maybeActed = true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      options.onAttempt?.({ method: request.method, url: displayUrl(request.url), attempt: n, error: code });
      delay = retryableCodes.has(code) ? retryDelay(policy, n) : undefined;
      if (delay === undefined) throw networkError(request.method, request.url, error as Error, n);
      if (!notSentCodes.has(code)) maybeActed = true;
      if (code === "ERR_HTTP_CLIENT_STOPPED") here = true;
    }
    await sleep(delay);
  }
}
