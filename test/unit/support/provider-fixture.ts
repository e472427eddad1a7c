import { test as base, expect } from "vitest";
import { resetCommand } from "../../../provider/command-cache";
import { configure } from "../../../provider/stack-config";
import { forgetTokens } from "../../../sdk/image-service";
import { PASSWORD } from "./fake-fixture";
import { FakeOpenStack } from "./fake-openstack";

/**
 * Provider implementations called directly (no plugin host), as a fresh plugin process would run
 * them, against the fake OpenStack, configured through stack config as `configure()` receives it.
 */
let config: Record<string, string> = {};

/** What a new Pulumi command sees: a new plugin process, so no cached services or member lists. */
export function newCommand(): void {
  resetCommand();
  configure({ get: (k: string) => config[k] });
}

export const test = base.extend<{ fake: FakeOpenStack }>({
  fake: async ({}, use) => {
    forgetTokens();
    const fake = await FakeOpenStack.start();
    config = {
      "openstack:authUrl": fake.authUrl,
      "openstack:userName": "producer-user",
      "openstack:password": PASSWORD,
      "openstack:tenantName": "producer",
      "openstack:userDomainName": "Default",
      "openstack:projectDomainName": "Default",
    };
    newCommand();
    await use(fake);
    await fake.close();
    expect(fake.unmatched.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  },
});
