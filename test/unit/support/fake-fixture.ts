import { test as base, expect } from "vitest";
import type { RetryPolicy } from "../../../sdk/http";
import { type OpenOptions, openImageService } from "../../../sdk/image-service";
import type { CloudOptions, ImageService } from "../../../sdk/types";
import { FakeOpenStack } from "./fake-openstack";

export const PASSWORD = "s3cret-Pa55word-for-tests";
export const IMAGE = "11111111-2222-3333-4444-555555555555";
export const CONSUMER = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";

/** Retries without the real backoff, so fault tests take milliseconds. */
export const fastRetry: RetryPolicy = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 };

export function passwordOptions(fake: FakeOpenStack, extra: CloudOptions = {}): CloudOptions {
  return {
    authUrl: fake.authUrl,
    username: "producer-user",
    userDomainName: "Default",
    password: PASSWORD,
    projectName: "producer",
    projectDomainName: "Default",
    ...extra,
  };
}

/** Runs `fn` with the fake's password credential in `OS_*` variables (what a program's look-up
 *  functions read) and no `OS_CLOUD` / `OS_CLIENT_CONFIG_FILE`; the environment is restored after. */
export async function withProgramCredentials<T>(fake: FakeOpenStack, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    OS_AUTH_URL: fake.authUrl,
    OS_USERNAME: "u",
    OS_USER_DOMAIN_ID: "default",
    OS_PASSWORD: PASSWORD,
    OS_PROJECT_ID: "p",
  });
  delete process.env.OS_CLOUD;
  delete process.env.OS_CLIENT_CONFIG_FILE;
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

interface Fixtures {
  fake: FakeOpenStack;
  /** Opens a service on the fake with a password credential; no OS_* from the real environment. */
  open: (extra?: CloudOptions, open?: OpenOptions) => Promise<ImageService>;
}

export const test = base.extend<Fixtures>({
  fake: async ({}, use) => {
    const fake = await FakeOpenStack.start();
    fake.addImage(IMAGE);
    await use(fake);
    await fake.close();
    // a request the fake did not expect is a failure even when the code under test coped with it
    expect(fake.unmatched.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  },
  open: async ({ fake }, use) => {
    await use((extra = {}, open = {}) => openImageService(passwordOptions(fake, extra), { env: {}, retry: fastRetry, ...open }));
  },
});
