import { describe, expect } from "vitest";
import { forgetTokens } from "../../../sdk/image-service";
import { IMAGE, test } from "../support/fake-fixture";

const members = new RegExp(`/v2/images/${IMAGE}/members$`);

describe("tokens", () => {
  test("50 parallel calls on one credential set cost one token request", async ({ fake, open }) => {
    forgetTokens();
    const services = await Promise.all(Array.from({ length: 50 }, () => open()));
    await Promise.all(services.map((g) => g.listMembers(IMAGE)));
    expect(fake.tokenRequests).toBe(1);
    expect(fake.count("GET", members)).toBe(50);
  });

  test("another credential set gets its own token", async ({ fake, open }) => {
    forgetTokens();
    await open();
    await open({ projectName: "other" });
    await open();
    expect(fake.tokenRequests).toBe(2);
  });

  test("a token is renewed before it expires", async ({ fake, open }) => {
    forgetTokens();
    fake.tokenLifetimeSeconds = 2; // renewal margin: a quarter of the lifetime, 0.5 s
    const glance = await open();
    await glance.listMembers(IMAGE);
    expect(fake.tokenRequests).toBe(1);
    await new Promise((r) => setTimeout(r, 1600));
    await glance.listMembers(IMAGE);
    expect(fake.tokenRequests).toBe(2);
    const calls = fake.requests.filter((r) => members.test(r.path));
    expect(calls.map((r) => r.headers["x-auth-token"])).toEqual([fake.tokens[0], fake.tokens[1]]);
  });

  test("a 401 re-authenticates once and the call succeeds", async ({ fake, open }) => {
    forgetTokens();
    const glance = await open();
    fake.revoked.add(fake.tokens[0]!);
    expect(await glance.listMembers(IMAGE)).toEqual([]);
    expect(fake.tokenRequests).toBe(2);
  });

  test("parallel callers meeting 401 share one re-authentication", async ({ fake, open }) => {
    forgetTokens();
    const glance = await open();
    fake.revoked.add(fake.tokens[0]!);
    await Promise.all(Array.from({ length: 10 }, () => glance.listMembers(IMAGE)));
    expect(fake.tokenRequests).toBe(2);
  });

  test("a token refused twice is an auth error", async ({ fake, open }) => {
    forgetTokens();
    const glance = await open();
    fake.on("GET", members, () => ({ status: 401, body: { message: "This server could not verify that you are authorized" } }));
    await expect(glance.listMembers(IMAGE)).rejects.toMatchObject({ code: "ERR_AUTH", status: 401 });
    expect(fake.tokenRequests).toBe(2);
  });
});
