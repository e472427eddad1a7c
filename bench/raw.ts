// The raw-HTTP baseline: node:http with one keep-alive agent and one token, `concurrency` requests
// in flight (workers pulling from one queue), no retries, no validation, nothing parsed but the
// status. What the provider is compared with: the same requests with nothing around them.
import * as http from "node:http";

export interface RawTarget {
  /** Glance root as the client sees it (the counting proxy), no trailing slash. */
  imageUrl: string;
  token: string;
}

export interface RawResult {
  ms: number;
  /** Per request latency, ms. */
  latencies: number[];
}

const USER_AGENT = "bench-raw";

function request(agent: http.Agent, method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          accept: "application/json",
          "user-agent": USER_AGENT,
          "x-auth-token": token,
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** One membership: a member project of an image. */
export interface Membership {
  imageId: string;
  member: string;
}

/** The memberships of `members` on one image. */
export const membershipsOf = (imageId: string, members: string[]): Membership[] => members.map((member) => ({ imageId, member }));

/** Runs `op` for every item, `concurrency` at once over one keep-alive agent. */
async function forEach<T>(items: T[], concurrency: number, op: (agent: http.Agent, item: T) => Promise<void>): Promise<RawResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, items.length) }, async () => {
        while (next < items.length) {
          const item = items[next++];
          const s = performance.now();
          await op(agent, item);
          latencies.push(performance.now() - s);
        }
      }),
    );
    return { ms: performance.now() - t0, latencies };
  } finally {
    agent.destroy();
  }
}

const membersUrl = (t: RawTarget, imageId: string) => `${t.imageUrl}/v2/images/${encodeURIComponent(imageId)}/members`;

function expect(status: number, want: number, what: string, body: string): void {
  if (status !== want) throw new Error(`raw ${what} answered ${status} (expected ${want}): ${body.slice(0, 200)}`);
}

/** POST /v2/images/{id}/members for each membership (200 expected). */
export function rawCreate(target: RawTarget, memberships: Membership[], concurrency: number): Promise<RawResult> {
  return forEach(memberships, concurrency, async (agent, { imageId, member }) => {
    const r = await request(agent, "POST", membersUrl(target, imageId), target.token, { member });
    expect(r.status, 200, "POST member", r.body);
  });
}

/** GET /v2/images/{id}/members/{member} for each membership (200 expected). */
export function rawGet(target: RawTarget, memberships: Membership[], concurrency: number): Promise<RawResult> {
  return forEach(memberships, concurrency, async (agent, { imageId, member }) => {
    const r = await request(agent, "GET", `${membersUrl(target, imageId)}/${encodeURIComponent(member)}`, target.token);
    expect(r.status, 200, "GET member", r.body);
  });
}

/** GET /v2/images/{id}/members for each image: one list request each (200 expected). */
export function rawList(target: RawTarget, imageIds: string[], concurrency: number): Promise<RawResult> {
  return forEach(imageIds, concurrency, async (agent, imageId) => {
    const r = await request(agent, "GET", membersUrl(target, imageId), target.token);
    expect(r.status, 200, "GET members", r.body);
  });
}

/** DELETE /v2/images/{id}/members/{member} for each membership (204 expected). */
export function rawDelete(target: RawTarget, memberships: Membership[], concurrency: number): Promise<RawResult> {
  return forEach(memberships, concurrency, async (agent, { imageId, member }) => {
    const r = await request(agent, "DELETE", `${membersUrl(target, imageId)}/${encodeURIComponent(member)}`, target.token);
    expect(r.status, 204, "DELETE member", r.body);
  });
}
