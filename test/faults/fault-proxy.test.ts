import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { cloudsFileVia, FAULT_KINDS, type FaultConfig, FaultPlanner, type FaultProxy, leaksIn } from "../../dev/harness/fault-proxy";
import { listMembersRaw, projectToken } from "../../dev/harness/images";
import type { RetryPolicy } from "../../sdk/http";
import { openImageService } from "../../sdk/image-service";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { watchProxies } from "../support/proxy-watch";

/** The fault proxy itself, in front of the suite's real Glance and Keystone. */
const cloud = testCloud();
const keystoneOrigin = new URL(cloud.authUrl).origin;
const fast: RetryPolicy = { attempts: 10, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 1500 };

// ---- what each test leaves behind is checked for secrets -------------------------------------------
const { proxy, see, token: seeToken } = watchProxies(cloud.secrets);

// ---- a plain HTTP client, so nothing retries behind the test's back --------------------------------
interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Outcome = Answer | { error: string };

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer[]; agent?: http.Agent } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: options.method ?? "GET",
      headers: { accept: "application/json", ...options.headers },
      agent: options.agent ?? false,
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    if (Array.isArray(options.body)) {
      // chunked, piece by piece
      const pieces = [...options.body];
      const next = () => (pieces.length ? req.write(pieces.shift(), next) : req.end());
      next();
    } else {
      req.end(options.body);
    }
  });
}

const statusOf = (o: Outcome) => ("error" in o ? o.error : o.status);

let image: string;
let token: string;
const auth = () => ({ "x-auth-token": token, "content-type": "application/json" });
const newMember = () => crypto.randomUUID().replaceAll("-", "");
async function memberIds(imageId: string): Promise<string[]> {
  const r = await listMembersRaw(cloud.cloudsFile, "producer", imageId);
  expect(r.status).toBe(200);
  return (r.body.members as { member_id: string }[]).map((m) => m.member_id);
}

beforeAll(async () => {
  image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "fault-proxy-test" });
  token = await projectToken(cloud.cloudsFile, "producer");
  seeToken(token);
});

describe("forwarding", () => {
  it("passes Keystone's and Glance's answers through: statuses, bodies, x-subject-token, x-openstack-request-id", async () => {
    const ks = await proxy(keystoneOrigin);
    const gl = await proxy(cloud.imageUrl);
    const direct = (await send(`${keystoneOrigin}/v3`)) as Answer;
    const via = await send(`${ks.url}/v3`);
    expect(via).toMatchObject({ status: direct.status, body: direct.body });

    const login = (await send(`${ks.url}/v3/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: { identity: { methods: ["token"], token: { id: token } }, scope: { project: { id: cloud.projects.producer } } },
      }),
    })) as Answer;
    expect(login.status).toBe(201);
    expect(login.headers["x-subject-token"]).toEqual(expect.any(String));
    expect(login.headers["x-openstack-request-id"]).toMatch(/^req-/);
    seeToken(String(login.headers["x-subject-token"]));
    expect(JSON.parse(login.body).token.project.id).toBe(cloud.projects.producer);

    const members = (await send(`${gl.url}/v2/images/${image}/members`, { headers: auth() })) as Answer;
    expect(members.status).toBe(200);
    expect(members.headers["x-openstack-request-id"]).toMatch(/^req-/);
    expect(JSON.parse(members.body)).toHaveProperty("members");
    expect(ks.stats()).toMatchObject({ requests: 2, forwarded: 2, faulted: 0 });
    expect(ks.log().map((e) => [e.method, e.path, e.fault, e.upstreamStatus])).toEqual([
      ["GET", "/v3", "none", 200],
      ["POST", "/v3/auth/tokens", "none", 201],
    ]);
    // the proxy saw the issued token (so leak checks can find it) but its log holds none
    expect(ks.secretsSeen).toBe(1);
    expect(ks.containsSecret(`...${String(login.headers["x-subject-token"])}...`)).toBe(true);
    expect(ks.containsSecret(JSON.stringify(ks.log()))).toBe(false);
    // and the leak check would notice one, without quoting it
    const leaks = leaksIn(
      [`a log line with ${String(login.headers["x-subject-token"])} in it`, `and ${cloud.secrets[0]}`, "clean"],
      cloud.secrets,
      [ks],
    );
    expect(leaks).toEqual(["text 0 contains a token seen by holder #0", "text 1 contains secret #0"]);
  });

  it("the SDK works through a Keystone proxy and a Glance proxy (clouds.yaml copy)", async () => {
    const ks = await proxy(keystoneOrigin);
    const gl = await proxy(cloud.imageUrl);
    const file = cloudsFileVia(cloud.cloudsFile, { keystone: ks.url, glance: gl.url });
    const glance = await openImageService({ cloud: "producer" }, { env: { OS_CLIENT_CONFIG_FILE: file }, retry: fast });
    const member = newMember();
    await glance.createMember(image, member);
    expect((await glance.getMember(image, member)).status).toBe("pending");
    expect(ks.stats().byMethod.POST?.requests).toBe(1);
    expect(gl.stats().byMethod).toMatchObject({ POST: { requests: 1 }, GET: { requests: 1 } });
  });

  it("streams large bodies both ways and keeps client connections alive", async () => {
    // an echo server: the one thing the real servers cannot show (a 1 MB body each way, chunked)
    const echo = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        res.setHeader("x-got-bytes", String(body.length));
        res.setHeader("x-got-chunked", String(req.headers["transfer-encoding"] === "chunked"));
        res.setHeader("x-openstack-request-id", "req-echo");
        res.setHeader("x-subject-token", "not-a-real-token-but-forwarded");
        for (let i = 0; i < 16; i++) res.write(body.subarray(i * (body.length / 16), (i + 1) * (body.length / 16)));
        res.end();
      });
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    try {
      const p = await proxy(`http://127.0.0.1:${(echo.address() as AddressInfo).port}`);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const piece = Buffer.alloc(64 * 1024, "x");
      for (let round = 0; round < 3; round++) {
        const r = (await send(`${p.url}/echo`, { method: "POST", body: Array.from({ length: 16 }, () => piece), agent })) as Answer;
        expect(r.status).toBe(200);
        expect(r.headers).toMatchObject({
          "x-got-bytes": String(16 * piece.length),
          "x-got-chunked": "true",
          "x-openstack-request-id": "req-echo",
          "x-subject-token": "not-a-real-token-but-forwarded",
        });
        expect(r.body.length).toBe(16 * piece.length);
      }
      agent.destroy();
      expect(p.stats()).toMatchObject({ connections: 1, requests: 3, forwarded: 3 });
    } finally {
      echo.closeAllConnections();
      await new Promise((r) => echo.close(r));
    }
  });
});

describe("each fault kind", () => {
  it("dropBefore resets the connection and Glance never sees the request", async () => {
    const p = await proxy(cloud.imageUrl, { faults: { dropBefore: { rate: 1, method: "POST", path: /\/members$/ } } });
    const member = newMember();
    const r = await send(`${p.url}/v2/images/${image}/members`, { method: "POST", headers: auth(), body: JSON.stringify({ member }) });
    expect(r).toEqual({ error: "ECONNRESET" });
    expect(await memberIds(image)).not.toContain(member);
    // the rule is limited to POST: a GET passes
    expect(statusOf(await send(`${p.url}/v2/images/${image}/members`, { headers: auth() }))).toBe(200);
    expect(p.stats()).toMatchObject({ requests: 2, forwarded: 1, faulted: 1, faults: { dropBefore: 1 } });
    expect(p.log()).toEqual([
      { seq: 1, method: "POST", path: `/v2/images/${image}/members`, fault: "dropBefore", clientSaw: "reset" },
      { seq: 2, method: "GET", path: `/v2/images/${image}/members`, fault: "none", upstreamStatus: 200, clientSaw: 200 },
    ]);
  });

  it("dropAfter lets Glance act, then resets the connection instead of answering", async () => {
    const p = await proxy(cloud.imageUrl, { faults: { dropAfter: { rate: 1, method: "POST" } } });
    const member = newMember();
    const r = await send(`${p.url}/v2/images/${image}/members`, { method: "POST", headers: auth(), body: JSON.stringify({ member }) });
    expect(r).toEqual({ error: "ECONNRESET" });
    expect(await memberIds(image)).toContain(member);
    expect(p.stats()).toMatchObject({
      requests: 1,
      forwarded: 1,
      faults: { dropAfter: 1 },
      byMethod: { POST: { requests: 1, faulted: 1, faults: { dropAfter: 1 } } },
    });
    expect(p.log()[0]).toMatchObject({ fault: "dropAfter", upstreamStatus: 200, clientSaw: "reset" });
  });

  it("status503 answers bursts of N consecutive 503s, then lets one through", async () => {
    const p = await proxy(cloud.imageUrl, { faults: { status503: { rate: 1, burst: 3 } } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const seen: (number | string)[] = [];
    for (let i = 0; i < 8; i++) seen.push(statusOf(await send(`${p.url}/v2/images/${image}/members`, { headers: auth(), agent })));
    agent.destroy();
    expect(seen).toEqual([503, 503, 503, 200, 503, 503, 503, 200]);
    expect(p.stats()).toMatchObject({ requests: 8, forwarded: 2, faults: { status503: 6 }, bursts: 2, connections: 1 });
  });

  it("status503 bursts are ridden out by the SDK's retries", async () => {
    const p = await proxy(cloud.imageUrl, { faults: { status503: { rate: 1, burst: 3, max: 1 } } });
    const attempts: (number | string | undefined)[] = [];
    const glance = await openImageService(
      { cloud: "producer", imageEndpoint: p.url },
      { retry: fast, onAttempt: (e) => attempts.push(e.status ?? e.error) },
    );
    expect(await glance.listMembers(image)).toEqual(expect.any(Array));
    expect(attempts.slice(-4)).toEqual([503, 503, 503, 200]);
  });

  it("status429 answers 429 with Retry-After, which the SDK honours", async () => {
    const p = await proxy(cloud.imageUrl, { faults: { status429: { rate: 1, max: 1, retryAfterSeconds: 2 } } });
    const first = (await send(`${p.url}/v2/images/${image}/members`, { headers: auth() })) as Answer;
    expect(first.status).toBe(429);
    expect(first.headers["retry-after"]).toBe("2");
    expect(statusOf(await send(`${p.url}/v2/images/${image}/members`, { headers: auth() }))).toBe(200);
    expect(p.stats()).toMatchObject({ requests: 2, forwarded: 1, faults: { status429: 1 } });

    p.setFaults({ status429: { rate: 1, max: 1, retryAfterSeconds: 1 } });
    const attempts: (number | string | undefined)[] = [];
    const glance = await openImageService(
      { cloud: "producer", imageEndpoint: p.url },
      { retry: fast, onAttempt: (e) => attempts.push(e.status ?? e.error) },
    );
    const t0 = Date.now();
    await glance.listMembers(image);
    const took = Date.now() - t0;
    expect(attempts.slice(-2)).toEqual([429, 200]);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(3000);
  });

  it("latency delays requests by minMs..maxMs", async () => {
    const p = await proxy(cloud.imageUrl, { faults: { latency: { rate: 1, minMs: 150, maxMs: 220 } } });
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      expect(statusOf(await send(`${p.url}/v2/images/${image}/members`, { headers: auth() }))).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(148);
    }
    expect(p.stats()).toMatchObject({ requests: 3, forwarded: 3, faults: { latency: 3 } });
    for (const e of p.log()) expect(e.latencyMs).toSatisfy((ms: number) => ms >= 150 && ms <= 220);
  });

  it("max limits a fault to that many occurrences; rates above 1 in all are refused", async () => {
    const p = await proxy(cloud.imageUrl, { faults: { status503: { rate: 1, max: 2 } } });
    const seen: (number | string)[] = [];
    for (let i = 0; i < 5; i++) seen.push(statusOf(await send(`${p.url}/v2/images/${image}/members`, { headers: auth() })));
    expect(seen).toEqual([503, 200, 503, 200, 200]); // burst 1: a pass after each burst, then max reached
    expect(() => p.setFaults({ dropBefore: { rate: 0.6 }, dropAfter: { rate: 0.6 } })).toThrow(/add up to 1.2/);
  });
});

describe("replay", () => {
  const mix: FaultConfig = {
    dropBefore: { rate: 0.1 },
    dropAfter: { rate: 0.1 },
    status503: { rate: 0.1, burst: 2 },
    status429: { rate: 0.1, retryAfterSeconds: 0 },
    latency: { rate: 0.1, minMs: 1, maxMs: 5 },
  };

  it("the same seed gives the same fault sequence (planner)", () => {
    const run = (seed: number) => {
      const planner = new FaultPlanner(seed, mix);
      return Array.from({ length: 300 }, (_, i) => planner.next(i % 3 ? "GET" : "POST", "/v2/images/x/members"));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    const kinds = new Set(run(42).map((d) => d.fault));
    expect([...kinds].sort()).toEqual([...FAULT_KINDS, "none"].sort());
  });

  it("the same seed gives the same fault sequence through the proxy, and reset() replays it", async () => {
    const run = async (p: FaultProxy) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 40; i++) await send(`${p.url}/v2/images/${image}/members`, { headers: auth(), agent });
      agent.destroy();
      return p.log().map((e) => `${e.fault}:${e.clientSaw}${e.latencyMs === undefined ? "" : `:${e.latencyMs}ms`}`);
    };
    const a = await proxy(cloud.imageUrl, { seed: 20240601, faults: mix });
    const b = await proxy(cloud.imageUrl, { seed: 20240601, faults: mix });
    const c = await proxy(cloud.imageUrl, { seed: 20240602, faults: mix });
    const first = await run(a);
    expect(await run(b)).toEqual(first);
    expect(await run(c)).not.toEqual(first);
    a.reset();
    expect(await run(a)).toEqual(first);
    expect(a.stats().requests).toBe(40);
    expect(a.seed).toBe(20240601);
    see(a.summary());
    // and a random seed is reported, so it can be given back
    const d = await proxy(cloud.imageUrl, { faults: mix });
    expect(d.summary()).toMatch(new RegExp(`^seed=${d.seed} `));
  });
});
