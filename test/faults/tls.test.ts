import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { cloudsFileVia, leaksIn, removeCloudsCopies } from "../../dev/harness/fault-proxy";
import { listMembersRaw } from "../../dev/harness/images";
import { isImageMembersError } from "../../sdk/errors";
import type { RetryPolicy } from "../../sdk/http";
import { type OpenOptions, openImageService } from "../../sdk/image-service";
import type { CloudOptions } from "../../sdk/types";
import { testCloud } from "../support/cloud";
import { createTestImage } from "../support/images";
import { createTestCa, startTlsTerminator, type TestCa, type TlsTerminator } from "../support/tls-terminator";

/**
 * Keystone and Glance each behind a TLS terminator whose certificate a throwaway CA signed (made
 * with openssl at test time: without openssl these tests fail, saying so). The SDK must trust that
 * CA when told to (cacertFile, clouds.yaml cacert, OS_CACERT), refuse it otherwise with a message
 * that says what to set, skip verification with `insecure` (warning once), and refuse an unreadable
 * CA file before sending anything.
 */
const cloud = testCloud();
const keystoneOrigin = new URL(cloud.authUrl).origin;
const fast: RetryPolicy = { attempts: 4, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 1500 };

let ca: TestCa;
let otherCa: TestCa;
let keystone: TlsTerminator;
let glance: TlsTerminator;
/** Glance behind a certificate from another CA. */
let strangeGlance: TlsTerminator;
let image: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tls-test-"));

const visibleText: string[] = [];
const see = (x: unknown) =>
  visibleText.push(
    typeof x === "string"
      ? x
      : [String(x), (x as Error)?.stack ?? "", JSON.stringify(x), inspect(x, { depth: 5, showHidden: true })].join("\n"),
  );

beforeAll(async () => {
  ca = createTestCa();
  otherCa = createTestCa();
  [keystone, glance, strangeGlance] = await Promise.all([
    startTlsTerminator(keystoneOrigin, { ca }),
    startTlsTerminator(cloud.imageUrl, { ca }),
    startTlsTerminator(cloud.imageUrl, { ca: otherCa }),
  ]);
  image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared", name: "tls-test" });
});

afterAll(async () => {
  await Promise.all([keystone, glance, strangeGlance].filter(Boolean).map((t) => t.close()));
  ca?.dispose();
  otherCa?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
  removeCloudsCopies();
});

afterEach(() => {
  const leaks = leaksIn(visibleText, cloud.secrets, [keystone, glance, strangeGlance]);
  visibleText.length = 0;
  expect(leaks).toEqual([]);
});

/** A clouds.yaml copy whose Keystone and Glance are the terminators (https), with extras. */
const viaTls = (extra: { cacert?: string; insecure?: boolean; glance?: string } = {}) =>
  cloudsFileVia(cloud.cloudsFile, { keystone: keystone.url, glance: glance.url, ...extra });

/** Opens with only the given environment (no OS_CACERT or other OS_* leaking in from the process). */
function open(options: CloudOptions, env: NodeJS.ProcessEnv, attempts: string[] = []) {
  const o: OpenOptions = {
    env,
    retry: fast,
    onAttempt: (a) => attempts.push(`${a.method} ${new URL(a.url).origin} ${a.status ?? a.error}`),
  };
  return openImageService(options, o);
}

async function failure(p: Promise<unknown>): Promise<any> {
  const e = await p.then(
    () => new Error("expected a failure"),
    (err: unknown) => err,
  );
  see(e);
  expect(isImageMembersError(e), String(e)).toBe(true);
  return e;
}

async function roundTrip(service: Awaited<ReturnType<typeof openImageService>>): Promise<void> {
  const member = crypto.randomUUID().replaceAll("-", "");
  expect((await service.createMember(image, member)).memberId).toBe(member);
  expect((await service.getMember(image, member)).status).toBe("pending");
  await service.deleteMember(image, member);
  const r = await listMembersRaw(cloud.cloudsFile, "producer", image);
  expect((r.body.members as { member_id: string }[]).map((m) => m.member_id)).not.toContain(member);
}

describe("Keystone and Glance over TLS with a private CA", () => {
  it("the terminators serve 127.0.0.1 with a certificate the CA signed", async () => {
    const pem = fs.readFileSync(ca.caFile, "utf8");
    expect(pem).toMatch(/BEGIN CERTIFICATE/);
    expect(keystone.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // fetch refuses it without the CA: the certificate is not trusted by default
    await expect(fetch(`${keystone.url}/v3`)).rejects.toThrow();
  });

  it("without the openssl binary, making a CA fails (never skips) saying what is missing", () => {
    const saved = process.env.PATH;
    process.env.PATH = path.join(tmp, "empty-bin");
    try {
      expect(() => createTestCa()).toThrow(/need the `openssl` binary .* not on PATH/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it("works with the CA file: clouds.yaml cacert, the cacertFile option, OS_CACERT", async () => {
    const before = { keystone: keystone.requests, glance: glance.requests };
    const attempts: string[] = [];
    await roundTrip(await open({ cloud: "producer" }, { OS_CLIENT_CONFIG_FILE: viaTls({ cacert: ca.caFile }) }, attempts));
    await roundTrip(await open({ cloud: "producer", cacertFile: ca.caFile }, { OS_CLIENT_CONFIG_FILE: viaTls() }, attempts));
    // the consumer reads through TLS too, with the CA from OS_CACERT
    const consumer = await open({ cloud: "consumer" }, { OS_CLIENT_CONFIG_FILE: viaTls(), OS_CACERT: ca.caFile }, attempts);
    const producer = await open({ cloud: "producer", cacertFile: ca.caFile }, { OS_CLIENT_CONFIG_FILE: viaTls() }, attempts);
    await producer.createMember(image, consumer.projectId);
    expect((await consumer.getMember(image, consumer.projectId)).status).toBe("pending");
    // every request went through the terminators, none around them
    expect(attempts.every((a) => a.startsWith(`POST ${keystone.url}`) || a.includes(glance.url))).toBe(true);
    expect(keystone.requests - before.keystone).toBeGreaterThanOrEqual(2);
    expect(glance.requests - before.glance).toBeGreaterThanOrEqual(8);
  });

  it("fails without the CA: ERR_NETWORK saying TLS verification failed, hinting cacertFile or insecure; nothing is sent", async () => {
    const before = { keystone: keystone.requests, glance: glance.requests };
    const attempts: string[] = [];
    const e = await failure(open({ cloud: "producer" }, { OS_CLIENT_CONFIG_FILE: viaTls() }, attempts));
    expect(e).toMatchObject({ code: "ERR_NETWORK", method: "POST", path: `${keystone.url}/v3/auth/tokens` });
    expect(e.message).toMatch(
      /failed TLS verification \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/,
    );
    expect(e.message).toContain(keystone.url);
    expect(e.hint).toMatch(/cacertFile/);
    expect(e.hint).toMatch(/insecure/);
    // a certificate problem is not retried, and no request got through TLS
    expect(attempts).toHaveLength(1);
    expect(keystone.requests).toBe(before.keystone);
    expect(glance.requests).toBe(before.glance);
  });

  it("a Glance certificate from another CA fails on Glance's URL, after Keystone worked", async () => {
    const attempts: string[] = [];
    const service = await open(
      { cloud: "producer", cacertFile: ca.caFile },
      { OS_CLIENT_CONFIG_FILE: viaTls({ glance: strangeGlance.url }) },
      attempts,
    );
    const before = strangeGlance.requests;
    const e = await failure(service.listMembers(image));
    expect(e).toMatchObject({ code: "ERR_NETWORK", method: "GET", path: `${strangeGlance.url}/v2/images/${image}/members` });
    expect(e.message).toMatch(/failed TLS verification/);
    expect(e.hint).toMatch(/cacertFile.*insecure/);
    expect(strangeGlance.requests).toBe(before);
  });

  it("works with insecure (option or clouds.yaml verify: false) and warns once on stderr", async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write);
    try {
      await roundTrip(await open({ cloud: "producer", insecure: true }, { OS_CLIENT_CONFIG_FILE: viaTls() }));
      await roundTrip(await open({ cloud: "producer" }, { OS_CLIENT_CONFIG_FILE: viaTls({ insecure: true }) }));
      await roundTrip(await open({ cloud: "producer", insecure: true }, { OS_CLIENT_CONFIG_FILE: viaTls() }));
    } finally {
      spy.mockRestore();
    }
    see(writes.join(""));
    const warnings = writes.filter((w) => w.includes("pulumi-image-members"));
    expect(warnings).toEqual([
      expect.stringMatching(/warning: TLS certificate verification is off \(insecure\) for clouds\.yaml entry "producer"/),
    ]);
  });

  it("an unreadable CA file is ERR_CONFIG naming the file, before any request", async () => {
    const missing = path.join(tmp, "no-such-ca.pem");
    const directory = tmp;
    const before = { keystone: keystone.requests, glance: glance.requests };
    const attempts: string[] = [];
    const cases: [CloudOptions, NodeJS.ProcessEnv, string][] = [
      [{ cloud: "producer", cacertFile: missing }, { OS_CLIENT_CONFIG_FILE: viaTls() }, missing],
      [{ cloud: "producer", cacertFile: directory }, { OS_CLIENT_CONFIG_FILE: viaTls() }, directory],
      [{ cloud: "producer" }, { OS_CLIENT_CONFIG_FILE: viaTls({ cacert: missing }) }, missing],
      [{ cloud: "producer" }, { OS_CLIENT_CONFIG_FILE: viaTls(), OS_CACERT: missing }, missing],
    ];
    for (const [options, env, file] of cases) {
      const e = await failure(open(options, env, attempts));
      expect(e).toMatchObject({ code: "ERR_CONFIG", path: file });
      expect(e.message).toContain(`cannot read the CA file ${file}`);
      expect(e.hint).toMatch(/cacertFile/);
    }
    expect(attempts).toEqual([]);
    expect(keystone.requests).toBe(before.keystone);
    expect(glance.requests).toBe(before.glance);
  });
});
