import { inspect } from "node:util";
import { describe, expect, vi } from "vitest";
import { forgetTokens } from "../../../sdk/image-service";
import { CONSUMER, IMAGE, PASSWORD, test } from "../support/fake-fixture";

/** Everything a user could see of an error: message, stack, properties, cause, inspection. */
const visible = (e: unknown) =>
  [String(e), (e as Error)?.stack ?? "", JSON.stringify(e), inspect(e, { depth: 5, showHidden: true })].join("\n");

describe("secrets", () => {
  test("no error text contains the password or a token", async ({ fake, open }) => {
    forgetTokens();
    const errors: unknown[] = [];
    const glance = await open();
    fake.addImage("private-image", "private");
    const attempts = [
      () => glance.createMember("private-image", CONSUMER),
      () => glance.getMember(IMAGE, CONSUMER),
      () => glance.updateMemberStatus(IMAGE, CONSUMER, "accepted"),
      () => glance.updateMemberStatus(IMAGE, CONSUMER, "Accepted" as never),
      () => glance.createMember(IMAGE, "x/y"),
      () =>
        open({
          password: undefined,
          authUrl: fake.authUrl,
          applicationCredentialId: "id",
          applicationCredentialSecret: PASSWORD,
          region: "Nowhere",
        }),
      () => open({ cacertFile: "/nonexistent/ca.pem" }),
      () => open({ timeoutSeconds: -2 }),
    ];
    for (const attempt of attempts)
      errors.push(
        await attempt().then(
          () => "no error",
          (e: unknown) => e,
        ),
      );
    // Glance refusing every token, Keystone refusing the password, then Keystone unreachable
    fake.on("GET", /members$/, () => ({ status: 401, body: { message: "no" } }));
    errors.push(await glance.listMembers(IMAGE).catch((e: unknown) => e));
    forgetTokens();
    fake.on("POST", /auth\/tokens$/, () => ({
      status: 401,
      body: { error: { message: "The request you have made requires authentication." } },
    }));
    errors.push(await open().catch((e: unknown) => e));
    const url = fake.authUrl;
    await fake.close();
    errors.push(await open({ authUrl: url }).catch((e: unknown) => e));

    expect(errors.filter((e) => e === "no error")).toEqual([]);
    expect(fake.tokens.length).toBeGreaterThan(1);
    for (const e of errors) {
      const text = visible(e);
      expect(text).not.toContain(PASSWORD);
      for (const token of fake.tokens) expect(text).not.toContain(token);
    }
  });

  test("insecure warns once on stderr, without credentials", async ({ open }) => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      await open({ insecure: true });
      await open({ insecure: true });
    } finally {
      spy.mockRestore();
    }
    expect(writes).toEqual([expect.stringMatching(/warning: TLS certificate verification is off \(insecure\) for the cloud options/)]);
    expect(writes.join("")).not.toContain(PASSWORD);
  });
});
