/**
 * The implementation the serialized providers of 0.1.x (shims) load at call time, as
 * `require("pulumi-image-members/runtime")`. That module path is written into their stacks' state
 * (`__provider`), so it is exported forever, and everything here must accept state written by
 * earlier versions. Later versions store a require of `./dynamic/*` (dynamic-resource.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import { preloadHttpClient } from "../sdk/http";
import { configure as configureStackConfig } from "./stack-config";

export { acceptSharesProvider } from "./accept-shares-lifecycle";
export { imageMemberProvider } from "./image-member-lifecycle";
export { imageShareProvider } from "./image-share-lifecycle";
export { memberAcceptanceProvider } from "./member-acceptance-lifecycle";

/** Called by the plugin host (and only there) once per provider before any other call. */
export function configure(config: Pick<pulumi.dynamic.Config, "get">): void {
  configureStackConfig(config);
  preloadHttpClient();
}

/** `configure` as the plugin host calls a provider's own: what the ./dynamic modules export. */
export async function configureProvider(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  configure(req.config);
}
