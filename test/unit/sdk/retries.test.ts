import { describe, expect, it } from "vitest";
import { defaultRetryPolicy, retryDelay } from "../../../sdk/http";
import { CONSUMER, IMAGE, test } from "../support/fake-fixture";

const members = new RegExp(`/v2/images/${IMAGE}/members$`);

describe("the retry policy", () => {
  it("backs off exponentially with jitter up to a ceiling, then stops", () => {
    const p = defaultRetryPolicy;
    expect(retryDelay(p, 1, undefined, () => 0)).toBe(125);
    expect(retryDelay(p, 1, undefined, () => 1)).toBe(250);
    expect(retryDelay(p, 3, undefined, () => 1)).toBe(1000);
    expect(retryDelay(p, 9, undefined, () => 1)).toBe(4000);
    expect(retryDelay(p, 10)).toBeUndefined();
  });

  it("rides out a ten-second restart before giving up", () => {
    let least = 0;
    for (let a = 1; retryDelay(defaultRetryPolicy, a, undefined, () => 0) !== undefined; a++)
      least += retryDelay(defaultRetryPolicy, a, undefined, () => 0)!;
    expect(least).toBeGreaterThan(10_000);
  });

  it("honours Retry-After in seconds or as a date, within a cap", () => {
    expect(retryDelay(defaultRetryPolicy, 1, "2")).toBe(2000);
    expect(retryDelay(defaultRetryPolicy, 1, "3600")).toBe(defaultRetryPolicy.maxRetryAfterMs);
    const inAbout3s = new Date(Date.now() + 3000).toUTCString();
    expect(retryDelay(defaultRetryPolicy, 1, inAbout3s)).toBeGreaterThan(1000);
  });
});

describe("retries", () => {
  test("a 503 then a 200 succeeds", async ({ fake, open }) => {
    const glance = await open();
    fake.on("GET", members, () => ({ status: 503, body: { message: "Service Unavailable" } }), 1);
    expect(await glance.listMembers(IMAGE)).toEqual([]);
    expect(fake.count("GET", members)).toBe(2);
  });

  test("a connection reset before the server acted is retried", async ({ fake, open }) => {
    const glance = await open();
    fake.on("POST", members, () => "reset", 1);
    expect((await glance.createMember(IMAGE, CONSUMER)).memberId).toBe(CONSUMER);
    expect(fake.members.get(IMAGE)).toHaveLength(1);
  });

  test("a POST whose answer was lost after the server created the member counts as created", async ({ fake, open }) => {
    const glance = await open();
    // act like Glance, then drop the connection before the answer leaves
    const act = fake.on.bind(fake);
    act(
      "POST",
      members,
      (req) => {
        const memberId = (JSON.parse(req.body) as { member: string }).member;
        fake.members.get(IMAGE)!.push({
          image_id: IMAGE,
          member_id: memberId,
          status: "pending",
          created_at: "2026-01-01T00:00:00Z",
          updated_at: "2026-01-01T00:00:00Z",
        });
        return "reset";
      },
      1,
    );
    const m = await glance.createMember(IMAGE, CONSUMER);
    expect(m).toMatchObject({ memberId: CONSUMER, status: "pending", createdAt: "2026-01-01T00:00:00Z" });
    expect(fake.count("POST", members)).toBe(2); // the second met 409
    expect(fake.members.get(IMAGE)).toHaveLength(1);
  });

  test("a POST retried after a 502 (the server may have acted) that then meets 409 counts as created", async ({ fake, open }) => {
    const glance = await open();
    fake.members.get(IMAGE)!.push({ image_id: IMAGE, member_id: CONSUMER, status: "pending", created_at: "t", updated_at: "t" });
    fake.on("POST", members, () => ({ status: 502 }), 1);
    await expect(glance.createMember(IMAGE, CONSUMER)).resolves.toMatchObject({ memberId: CONSUMER });
  });

  test("a POST retried after a 429 or 503 (the server did not act) that meets 409 is a conflict", async ({ fake, open }) => {
    const glance = await open();
    fake.members.get(IMAGE)!.push({ image_id: IMAGE, member_id: CONSUMER, status: "pending", created_at: "t", updated_at: "t" });
    for (const status of [429, 503]) {
      fake.on("POST", members, () => ({ status, headers: { "retry-after": "0" } }), 1);
      await expect(glance.createMember(IMAGE, CONSUMER)).rejects.toMatchObject({
        status: 409,
        message: expect.stringContaining("after 2 attempts"),
      });
    }
  });

  test("a slow answer times out and the retry succeeds", async ({ fake, open }) => {
    const glance = await open({ timeoutSeconds: 0.3 });
    fake.on("GET", members, () => "hang", 1);
    const started = Date.now();
    expect(await glance.listMembers(IMAGE)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(fake.count("GET", members)).toBe(2);
  });

  test("a 429 waits for Retry-After", async ({ fake, open }) => {
    const glance = await open();
    fake.on("GET", members, () => ({ status: 429, headers: { "retry-after": "1" } }), 1);
    const started = Date.now();
    await glance.listMembers(IMAGE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  test("a DELETE retried after its answer was lost meets 404 and succeeds", async ({ fake, open }) => {
    const glance = await open();
    await glance.createMember(IMAGE, CONSUMER);
    fake.on(
      "DELETE",
      /members\//,
      () => {
        fake.members.set(IMAGE, []);
        return "reset";
      },
      1,
    );
    await expect(glance.deleteMember(IMAGE, CONSUMER)).resolves.toBeUndefined();
    expect(fake.count("DELETE", /members\//)).toBe(2);
  });

  test("a lasting outage ends in an error that says how many attempts were made", async ({ fake, open }) => {
    const glance = await open();
    fake.on("GET", members, () => ({ status: 503, body: { message: "down for maintenance" } }));
    await expect(glance.listMembers(IMAGE)).rejects.toMatchObject({
      code: "ERR_HTTP",
      status: 503,
      message: expect.stringMatching(/failed with 503 after 4 attempts: down for maintenance$/),
    });
    expect(fake.count("GET", members)).toBe(4);
  });

  test("a 400 is not retried", async ({ fake, open }) => {
    const glance = await open();
    fake.on("GET", members, () => ({ status: 400, body: { message: "bad" } }));
    await expect(glance.listMembers(IMAGE)).rejects.toMatchObject({ status: 400 });
    expect(fake.count("GET", members)).toBe(1);
  });
});
