/**
 * The implementation the serialized provider shims load at call time, as
 * `require("pulumi-image-members/runtime")`. That module path is written into every stack's state
 * (`__provider`), so it is exported forever, and everything here must accept state written by
 * earlier versions.
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
