import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { cloudsFileVia } from "../../dev/harness/fault-proxy";
import { isImageMembersError } from "../../sdk/errors";
import type { RetryPolicy } from "../../sdk/http";
import { type OpenOptions, openImageService } from "../../sdk/image-service";
import { testCloud } from "../support/cloud";
import { watchProxies } from "../support/proxy-watch";

/** Keystone refusing connections, resetting them, or answering 503: clear errors, and Glance is never asked. */
const cloud = testCloud();
const keystoneOrigin = new URL(cloud.authUrl).origin;
const fast: RetryPolicy = { attempts: 6, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 1500 };

const { proxy, see } = watchProxies(cloud.secrets);

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Opens with the given clouds.yaml copy (no other OS_* from the environment); resolves to the error. */
async function failure(options: Parameters<typeof openImageService>[0], open: OpenOptions & { attempts: string[] }): Promise<any> {
  const e = await openImageService(options, {
    retry: fast,
    ...open,
    onAttempt: (a) => open.attempts.push(`${a.method} ${a.status ?? a.error}`),
  }).then(
    () => new Error("expected a failure"),
    (err: unknown) => err,
  );
  see(e);
  expect(isImageMembersError(e), String(e)).toBe(true);
  return e;
}

describe("an absent or refusing Keystone", () => {
  it("a closed port (clouds.yaml auth_url) is ERR_NETWORK naming the auth URL; no request reaches Glance", async () => {
    const port = await closedPort();
    const glance = await proxy(cloud.imageUrl);
    const file = cloudsFileVia(cloud.cloudsFile, { keystone: `http://127.0.0.1:${port}`, glance: glance.url });
    const attempts: string[] = [];
    const e = await failure({ cloud: "producer" }, { env: { OS_CLIENT_CONFIG_FILE: file }, attempts });
    expect(e).toMatchObject({ code: "ERR_NETWORK", method: "POST", path: `http://127.0.0.1:${port}/v3/auth/tokens` });
    expect(e.message).toContain(`http://127.0.0.1:${port}/v3`);
    expect(e.message).toMatch(/ECONNREFUSED after 6 attempts/);
    expect(e.hint).toMatch(/service is up/);
    expect(attempts).toEqual(Array(6).fill("POST ECONNREFUSED"));
    expect(glance.stats().requests).toBe(0);
  });

  it("a closed port given as the authUrl option is the same, whatever clouds.yaml says", async () => {
    const port = await closedPort();
    const glance = await proxy(cloud.imageUrl);
    const attempts: string[] = [];
    const e = await failure({ cloud: "producer", authUrl: `http://127.0.0.1:${port}/v3/`, imageEndpoint: glance.url }, { attempts });
    expect(e).toMatchObject({ code: "ERR_NETWORK", path: `http://127.0.0.1:${port}/v3/auth/tokens` });
    expect(e.message).toContain(`http://127.0.0.1:${port}/v3`);
    expect(attempts).toHaveLength(6);
    expect(glance.stats().requests).toBe(0);
  });

  it("a Keystone that resets every connection is ERR_NETWORK naming its URL, after every attempt", async () => {
    const keystone = await proxy(keystoneOrigin, { faults: { dropBefore: { rate: 1 } } });
    const glance = await proxy(cloud.imageUrl);
    const file = cloudsFileVia(cloud.cloudsFile, { keystone: keystone.url, glance: glance.url });
    const attempts: string[] = [];
    const e = await failure({ cloud: "producer" }, { env: { OS_CLIENT_CONFIG_FILE: file }, attempts });
    expect(e).toMatchObject({ code: "ERR_NETWORK", path: `${keystone.url}/v3/auth/tokens` });
    expect(e.message).toMatch(/ECONNRESET after 6 attempts/);
    expect(keystone.stats()).toMatchObject({ requests: 6, forwarded: 0, faults: { dropBefore: 6 } });
    expect(glance.stats().requests).toBe(0);
  });

  it("a Keystone answering 503 throughout is an HTTP error naming it, with the status; Glance is not asked", async () => {
    const keystone = await proxy(keystoneOrigin, { faults: { status503: { rate: 1, burst: 1000 } } });
    const glance = await proxy(cloud.imageUrl);
    const file = cloudsFileVia(cloud.cloudsFile, { keystone: keystone.url, glance: glance.url });
    const attempts: string[] = [];
    const e = await failure({ cloud: "producer" }, { env: { OS_CLIENT_CONFIG_FILE: file }, attempts });
    expect(e).toMatchObject({ code: "ERR_HTTP", status: 503 });
    expect(e.message).toContain(`${keystone.url}/v3`);
    expect(attempts).toEqual(Array(6).fill("POST 503"));
    expect(glance.stats().requests).toBe(0);
  });

  it("a Keystone that comes back within the retries is ridden out", async () => {
    const keystone = await proxy(keystoneOrigin, { faults: { dropBefore: { rate: 1, max: 2 }, status503: { rate: 0 } } });
    const glance = await proxy(cloud.imageUrl);
    const file = cloudsFileVia(cloud.cloudsFile, { keystone: keystone.url, glance: glance.url });
    const attempts: string[] = [];
    const service = await openImageService(
      { cloud: "consumer" },
      { env: { OS_CLIENT_CONFIG_FILE: file }, retry: fast, onAttempt: (a) => attempts.push(`${a.method} ${a.status ?? a.error}`) },
    );
    expect(service.projectId).toBe(cloud.projects.consumer);
    expect(attempts).toEqual(["POST ECONNRESET", "POST ECONNRESET", "POST 201"]);
    expect(keystone.stats()).toMatchObject({ requests: 3, forwarded: 1, faults: { dropBefore: 2 } });
  });
});
