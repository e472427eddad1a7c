import * as pulumi from "@pulumi/pulumi";
import { describe, expect } from "vitest";
import { getImageMember, getImageMemberOutput, getImageMembers } from "../../../provider/functions";
import { forgetTokens } from "../../../sdk/image-service";
import { CONSUMER, IMAGE, test, withProgramCredentials } from "../support/fake-fixture";

describe("look-up functions", () => {
  test("getImageMembers and getImageMember read through the SDK with the program's credentials", async ({ fake, open }) => {
    forgetTokens();
    await (await open()).createMember(IMAGE, CONSUMER);
    await withProgramCredentials(fake, async () => {
      expect((await getImageMembers({ imageId: IMAGE })).map((m) => m.memberId)).toEqual([CONSUMER]);
      expect(await getImageMember({ imageId: IMAGE, memberId: CONSUMER })).toMatchObject({ status: "pending" });
      const out = getImageMemberOutput({ imageId: pulumi.output(IMAGE), memberId: CONSUMER });
      expect(await new Promise((resolve) => out.apply(resolve))).toMatchObject({ memberId: CONSUMER });
      await expect(getImageMember({ imageId: IMAGE, memberId: "nobody" })).rejects.toMatchObject({ code: "ERR_NOT_SHARED", status: 404 });
    });
  });
});
