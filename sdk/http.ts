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
const notSentCodes = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ERR_HTTP_CLIENT_UNSENT"]);

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
  // the worker thread stopped (a crash, or its heap limit) with the attempt in it or waiting for it
  "ERR_HTTP_CLIENT_STOPPED",
  "ERR_HTTP_CLIENT_UNSENT",
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

/** One attempt as plain data, strings alone: it crosses to the worker thread by structured clone. */
interface Attempt {
  method: HttpRequest["method"];
  url: string;
  headers: Record<string, string>;
  body?: string;
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
 * Sends one attempt with got. The worker thread runs it, and keepAliveAgents, from their source
 * text, so both name nothing but their parameters: the same options on either thread.
 */
async function attemptWithGot(got: Got, agents: Agents, a: Attempt): Promise<Answer> {
  const res = await got(a.url, {
    method: a.method,
    headers: a.headers,
    ...(a.body === undefined ? {} : { body: a.body }),
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

/** One keep-alive agent per protocol and thread: every resource in a `pulumi up` shares them. */
function keepAliveAgents(h: typeof http, s: typeof https): Agents {
  return { http: new h.Agent({ keepAlive: true, maxSockets: 32 }), https: new s.Agent({ keepAlive: true, maxSockets: 32 }) };
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

// The worker stopped with the attempt in it: it may have been sent.
const STOPPED = "ERR_HTTP_CLIENT_STOPPED";
// The worker stopped before the attempt reached got: it was not sent.
const UNSENT = "ERR_HTTP_CLIENT_UNSENT";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
${attemptWithGot.toString()}
${keepAliveAgents.toString()}
const agents = keepAliveAgents(require("node:http"), require("node:https"));
const firstLine = (e) => String((e && e.message) || e).split("\\n")[0];
import(workerData.gotUrl).then(
  ({ default: got }) => {
    parentPort.on("message", ({ id, attempt }) => {
      attemptWithGot(got, agents, attempt).then(
        (answer) => parentPort.postMessage({ id, answer }),
        (e) => parentPort.postMessage({ id, error: { message: firstLine(e), code: e && e.code } }),
      );
    });
    parentPort.postMessage({ ready: true });
  },
  (e) => parentPort.postMessage({ failed: firstLine(e) }),
);
`;

type WorkerMessage =
  | { ready: true }
  | { failed: string }
  | { id: number; answer: Answer }
  | { id: number; error: { message: string; code?: string } };

type Pending = { attempt: Attempt; resolve: (a: Answer) => void; reject: (e: Error) => void };

const attemptError = (message: string, code: string | undefined) => Object.assign(new Error(message), code ? { code } : {});

/** The worker thread and the attempts waiting for it or in it. */
class AttemptWorker {
  private readonly worker: Worker;
  private readonly inFlight = new Map<number, Pending>();
  private readonly waiting: Pending[] = [];
  private nextId = 0;
  private ready = false;
  private stopped = false;

  /** `onStop(started)`: whether got had loaded in it, that is, whether another worker could do better. */
  constructor(private readonly onStop: (started: boolean) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { gotUrl: pathToFileURL(require.resolve("got")).href },
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
      stdout: false,
      stderr: false,
    });
    this.worker.on("message", (m: WorkerMessage) => this.receive(m));
    this.worker.on("messageerror", (e) => this.stop(e));
    this.worker.on("error", (e) => this.stop(e));
    this.worker.on("exit", (code) => this.stop(new Error(`exit code ${code}`)));
    // after the listeners, which reference it
    this.worker.unref();
  }

  /** Only while not stopped: stopping clears the module's `worker` at once (onStop). */
  run(attempt: Attempt): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ attempt, resolve, reject });
      this.pump();
    });
  }

  private stop(cause: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop(this.ready);
    const message = cause.message.split("\n")[0];
    for (const p of this.inFlight.values()) p.reject(attemptError(message, this.ready ? STOPPED : UNSENT));
    for (const p of this.waiting) p.reject(attemptError(message, UNSENT));
    this.inFlight.clear();
    this.waiting.length = 0;
    void this.worker.terminate();
  }

  private receive(m: WorkerMessage): void {
    if ("ready" in m) {
      this.ready = true;
      return;
    }
    if ("failed" in m) {
      this.stop(new Error(m.failed));
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
      this.inFlight.set(id, p);
      this.worker.postMessage({ id, attempt: p.attempt });
    }
    // referenced only while it owes an answer: an idle worker never keeps the process alive
    if (this.inFlight.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}

let attemptsStarted = 0;
let inlineAgents: Agents | undefined;
let worker: AttemptWorker | undefined;
/** Set when a worker could not start or load got: this process then sends everything from here. */
let workerOff = false;

function startWorker(): AttemptWorker | undefined {
  try {
    const started = new AttemptWorker((loaded) => {
      if (worker === started) worker = undefined;
      if (!loaded) workerOff = true;
    });
    worker = started;
  } catch {
    workerOff = true;
  }
  return worker;
}

/** Runs one attempt: the process's first ones here, later ones in the worker (started on first need). */
function runAttempt(attempt: Attempt, here: boolean): Promise<Answer> {
  const toWorker = !here && !workerOff && ++attemptsStarted > INLINE_ATTEMPTS;
  const thread = toWorker ? (worker ?? startWorker()) : undefined;
  if (thread) return thread.run(attempt);
  inlineAgents ??= keepAliveAgents(http, https);
  const agents = inlineAgents;
  return loadGot().then((got) => attemptWithGot(got, agents, attempt));
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
      ...(request.json === undefined ? {} : { "content-type": "application/json" }),
      ...request.headers,
    },
    ...(request.json === undefined ? {} : { body: JSON.stringify(request.json) }),
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
      if (code === STOPPED || code === UNSENT) here = true;
    }
    await sleep(delay);
  }
}
