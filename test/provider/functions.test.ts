import { describe, expect } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { getImageMember, getImageMemberOutput, getImageMembers } from "../../provider/functions";
import { forgetTokens } from "../../sdk/image-service";
import { CONSUMER, IMAGE, PASSWORD, test } from "../support/fake-fixture";

describe("look-up functions", () => {
  test("getImageMembers and getImageMember read through the SDK with the program's credentials", async ({ fake, open }) => {
    forgetTokens();
    await (await open()).createMember(IMAGE, CONSUMER);
    const saved = { ...process.env };
    Object.assign(process.env, {
      OS_AUTH_URL: fake.authUrl, OS_USERNAME: "u", OS_USER_DOMAIN_ID: "default", OS_PASSWORD: PASSWORD, OS_PROJECT_ID: "p",
    });
    delete process.env.OS_CLOUD;
    delete process.env.OS_CLIENT_CONFIG_FILE;
    try {
      expect((await getImageMembers({ imageId: IMAGE })).map((m) => m.memberId)).toEqual([CONSUMER]);
      expect(await getImageMember({ imageId: IMAGE, memberId: CONSUMER })).toMatchObject({ status: "pending" });
      const out = getImageMemberOutput({ imageId: pulumi.output(IMAGE), memberId: CONSUMER });
      expect(await new Promise((resolve) => out.apply(resolve))).toMatchObject({ memberId: CONSUMER });
      await expect(getImageMember({ imageId: IMAGE, memberId: "nobody" })).rejects.toMatchObject({ code: "ERR_HTTP", status: 404 });
    } finally {
      process.env = saved;
    }
  });
});
