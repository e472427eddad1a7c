import type * as pulumi from "@pulumi/pulumi";
import { stackConfigKeys } from "../sdk/setting-sources";
import type { StackConfig } from "../sdk/settings";

/**
 * The stack config the plugin process received in `configure()`. Inside the plugin
 * `new pulumi.Config("openstack")` sees nothing under the real engine (its PULUMI_CONFIG holds only
 * `pulumi-nodejs:*` keys), so stack config arrives only through configure().
 */

/** The stack config keys the provider reads: those of sdk/setting-sources.ts's table. */
export { stackConfigKeys };

let stackConfig: StackConfig = {};
let generation = 0;

export function configure(config: Pick<pulumi.dynamic.Config, "get">): void {
  const values: Record<string, string> = {};
  for (const key of stackConfigKeys) {
    const v = config.get(key);
    if (v !== undefined && v !== "") values[key] = v;
  }
  stackConfig = values;
  generation++;
}

/** The config configure() received (it may hold secrets: never use it as a key or log it). */
export function receivedStackConfig(): StackConfig {
  return stackConfig;
}

/** Changes with every configure(): what caches key on instead of the config itself. */
export function stackConfigGeneration(): number {
  return generation;
}

/** For tests: as before any configure(). */
export function resetStackConfig(): void {
  stackConfig = {};
  generation++;
}
