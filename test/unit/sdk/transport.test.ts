import { execFile } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send } from "../../../sdk/http";

/*
 * The transport as a plugin process meets it: each case runs a fresh Node process against the built
 * dist/sdk/http.js (npm test builds first), because what is tested is per process: its first
 * attempts run on the calling thread, later ones in a worker thread, and neither may keep the
 * process alive or grow the calling thread's heap.
 */

const HTTP = path.resolve(__dirname, "../../../dist/sdk/http.js");
const HUGE = 96 * 1024 * 1024;

let server: http.Server;
let base: string;
/** The client sockets each /conn/<key>/… path came in on, and how often each path arrived. */
const sockets = new Map<string, Set<number>>();
const arrivals = new Map<string, number>();

beforeAll(async () => {
  const huge = "x".repeat(HUGE);
  const seen = new Set<string>();
  server = http.createServer((req, res) => {
    const url = req.url as string;
    arrivals.set(url, (arrivals.get(url) ?? 0) + 1);
    const key = url.match(/^\/conn\/([^/]+)\//)?.[1];
    if (key) sockets.set(key, (sockets.get(key) ?? new Set()).add(req.socket.remotePort as number));
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (url === "/huge") return res.end(huge);
      // each /flaky/<n> answers 503 the first time it is asked, then echoes
      if (url.startsWith("/flaky/") && !seen.has(url)) {
        seen.add(url);
        res.writeHead(503, { "retry-after": "0" });
        return res.end("{}");
      }
      const answer = () => {
        res.writeHead(200, { "content-type": "application/json", "x-echo": String(req.headers["x-echo"]) });
        res.end(JSON.stringify({ method: req.method, url, type: req.headers["content-type"], body: body ? JSON.parse(body) : null }));
      };
      if (url.startsWith("/slow/")) setTimeout(answer, 2000);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Runs `body` (an async function body with `send`, `preloadHttpClient`, `pastInline`, `base` and `v8` in scope) in a fresh process; resolves to what it printed as JSON. */
function inProcess(body: string): Promise<{ code: number | null; out: unknown; ms: number }> {
  const script = `
    const v8 = require("node:v8");
    const { send, preloadHttpClient } = require(${JSON.stringify(HTTP)});
    const base = ${JSON.stringify(base)};
    // spends the process's 64 calling-thread attempts: the next one goes to the worker
    const pastInline = async () => { for (let i = 0; i < 64; i++) await send({ method: "GET", url: base + "/warm/" + i }, { timeoutMs: 10000 }); };
    (async () => { ${body} })().then((out) => out !== undefined && console.log(JSON.stringify(out)), (e) => { console.log(JSON.stringify({ error: { code: e.code, message: e.message, cause: e.cause && e.cause.code } })); });
  `;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error?.killed) return reject(new Error(`the process did not exit by itself within 60 s\n${stderr}`));
      const last = stdout.trim().split("\n").pop();
      resolve({ code: error ? (error.code as number) : 0, out: last ? JSON.parse(last) : undefined, ms: Date.now() - started });
    });
  });
}

describe("the transport in a plugin process", () => {
  it("exits by itself after a preload alone", async () => {
    const { code, ms } = await inProcess("preloadHttpClient(); await new Promise((r) => setTimeout(r, 200));");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
  });

  it("answers every request alike on the calling thread and in the worker, then exits by itself", async () => {
    const { code, out } = await inProcess(`
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) =>
        send({ method: "POST", url: base + "/echo/" + i, headers: { "x-echo": "e" + i }, json: { n: i } }, { timeoutMs: 10000 })));
      return answers.map((a, i) => a.status === 200 && a.attempts === 1 && a.headers["x-echo"] === "e" + i &&
        JSON.parse(a.body).url === "/echo/" + i && JSON.parse(a.body).body.n === i && JSON.parse(a.body).method === "POST" &&
        JSON.parse(a.body).type === "application/json");
    `);
    expect(code).toBe(0);
    expect(out).toEqual(Array(300).fill(true));
  });

  it("retries a 503 the same way in the worker, and counts the attempts", async () => {
    const { code, out } = await inProcess(`
      await pastInline();
      const a = await send({ method: "DELETE", url: base + "/flaky/1" }, { timeoutMs: 10000 });
      return { status: a.status, attempts: a.attempts, maybeActed: a.maybeActed };
    `);
    expect(code).toBe(0);
    expect(out).toEqual({ status: 200, attempts: 2, maybeActed: false });
  });

  it("fails a refused connection with ERR_NETWORK after the policy's attempts, and exits by itself", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { code, out } = await inProcess(`
      await pastInline();
      await send({ method: "GET", url: "http://127.0.0.1:${port}/v2/images" },
        { timeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    `);
    expect(code).toBe(0);
    expect(out).toEqual({
      error: { code: "ERR_NETWORK", cause: "ECONNREFUSED", message: expect.stringContaining("failed: ECONNREFUSED after 2 attempts") },
    });
  });

  it("keeps an answer that stops the worker: the retry runs on the calling thread", async () => {
    const { code, out } = await inProcess(`
      await pastInline();
      const a = await send({ method: "GET", url: base + "/huge" }, { timeoutMs: 30000 });
      return { status: a.status, attempts: a.attempts, maybeActed: a.maybeActed, length: a.body.length };
    `);
    expect(code).toBe(0);
    // the worker's heap (64 MiB) cannot hold the body; the attempt fails as maybe-acted and is retried
    expect(out).toEqual({ status: 200, attempts: 2, maybeActed: true, length: HUGE });
  });

  it("sends a process's first 64 attempts from the calling thread, and the 65th from the worker", async () => {
    const { code } = await inProcess(`
      for (let i = 1; i <= 64; i++) await send({ method: "GET", url: base + "/conn/first/" + i }, { timeoutMs: 10000 });
      await send({ method: "GET", url: base + "/conn/later/65" }, { timeoutMs: 10000 });
    `);
    expect(code).toBe(0);
    // one keep-alive connection per thread
    expect(sockets.get("first")?.size).toBe(1);
    expect(sockets.get("later")?.size).toBe(1);
    expect([...(sockets.get("later") as Set<number>)]).not.toEqual([...(sockets.get("first") as Set<number>)]);
  });

  it("counts attempts that waited for a worker that then stopped as not sent", async () => {
    const { code, out } = await inProcess(`
      await pastInline();
      // the huge answer stops the worker while 31 slow POSTs are in it and 9 wait for room
      const huge = send({ method: "GET", url: base + "/huge" }, { timeoutMs: 30000 });
      const posts = Array.from({ length: 40 }, (_, i) => send({ method: "POST", url: base + "/slow/" + i, json: { i } }, { timeoutMs: 30000 }));
      const answers = await Promise.all([huge, ...posts]);
      return answers.slice(1).map((a) => ({ status: a.status, maybeActed: a.maybeActed }));
    `);
    expect(code).toBe(0);
    const answers = out as { status: number; maybeActed: boolean }[];
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // never sent before the retry: each arrived once, and its answer says the server did not act twice
    const unsent = answers.flatMap((a, i) => (a.maybeActed ? [] : [i]));
    expect(unsent.length).toBeGreaterThan(0);
    for (const i of unsent) expect(arrivals.get(`/slow/${i}`)).toBe(1);
  });

  it("2,000 requests from 200 callers leave the calling thread's heap small", async () => {
    const { code, out } = await inProcess(`
      let peak = 0;
      const sample = setInterval(() => (peak = Math.max(peak, v8.getHeapStatistics().total_heap_size)), 5);
      let next = 0;
      const caller = async () => {
        while (next < 2000) {
          const i = next++;
          const a = await send({ method: "POST", url: base + "/members/" + i, json: { member: "p" + i } }, { timeoutMs: 10000 });
          if (a.status !== 200) throw new Error("status " + a.status);
        }
      };
      await Promise.all(Array.from({ length: 200 }, caller));
      clearInterval(sample);
      return { peakMiB: Math.round(peak / 2 ** 20) };
    `);
    expect(code).toBe(0);
    // got alone on the calling thread reaches about 150 MiB here: its young generation grows to the ceiling
    expect((out as { peakMiB: number }).peakMiB).toBeLessThan(40);
  });
});

describe("the transport loaded through the test runner's module transform", () => {
  it("runs the worker from the same source text, answering every attempt at the first try", async () => {
    // sdk/http.ts as vitest transforms it: the worker's source is built from its functions' text
    const answers = [];
    for (let i = 1; i <= 70; i++) answers.push(await send({ method: "GET", url: `${base}/conn/transformed/${i}` }, { timeoutMs: 10_000 }));
    expect(answers.map((a) => [a.status, a.attempts, a.maybeActed])).toEqual(Array(70).fill([200, 1, false]));
    expect(sockets.get("transformed")?.size).toBe(2);
  });
});
