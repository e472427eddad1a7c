import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import * as acceptSharesModule from "./dynamic/accept-shares";
import * as imageMemberModule from "./dynamic/image-member";
import * as imageShareModule from "./dynamic/image-share";
import * as memberAcceptanceModule from "./dynamic/member-acceptance";

/**
 * The object handed to `pulumi.dynamic.Resource`, which Pulumi serializes into the state
 * (`__provider`) and runs in a separate plugin process.
 *
 * Installed under node_modules, it is the module of the resource's provider (`./dynamic/*`): Pulumi's
 * serializer writes a module found under node_modules as a `require` of its export path, a few
 * hundred bytes per resource. A symlinked install (`npm link`, the repository's own root program)
 * has its real path outside node_modules, where the serializer would copy the module by value, got
 * and all; there it gets a shim instead: functions that capture nothing but a name and require the
 * implementation from the installed package when they are called.
 */
const underNodeModules = __filename.split(path.sep).includes("node_modules");

export const imageMemberDynamicProvider: pulumi.dynamic.ResourceProvider = underNodeModules
  ? imageMemberModule
  : shimFor("imageMemberProvider");
export const memberAcceptanceDynamicProvider: pulumi.dynamic.ResourceProvider = underNodeModules
  ? memberAcceptanceModule
  : shimFor("memberAcceptanceProvider");
export const imageShareDynamicProvider: pulumi.dynamic.ResourceProvider = underNodeModules
  ? imageShareModule
  : shimFor("imageShareProvider");
export const acceptSharesDynamicProvider: pulumi.dynamic.ResourceProvider = underNodeModules
  ? acceptSharesModule
  : shimFor("acceptSharesProvider");

/** The runtime's exports a shim can stand for (provider/runtime.ts). */
export type ProviderExport = "imageMemberProvider" | "memberAcceptanceProvider" | "imageShareProvider" | "acceptSharesProvider";

/**
 * A shim: each function requires the implementation from the installed package when it is called,
 * so Node's module cache gives every resource of the plugin one token cache and one keep-alive agent.
 * The module path is a string literal in each body on purpose: a captured constant would be
 * serialized by value, and so would anything else these functions referred to. States written by
 * 0.1.x hold these shims: `pulumi-image-members/runtime` is exported forever.
 */
export function shimFor(name: ProviderExport): pulumi.dynamic.ResourceProvider {
  return {
    configure: async (req) => require("pulumi-image-members/runtime").configure(req.config),
    check: (olds, news) => require("pulumi-image-members/runtime")[name].check(olds, news),
    diff: (id, olds, news) => require("pulumi-image-members/runtime")[name].diff(id, olds, news),
    create: (inputs) => require("pulumi-image-members/runtime")[name].create(inputs),
    read: (id, props) => require("pulumi-image-members/runtime")[name].read(id, props),
    update: (id, olds, news) => require("pulumi-image-members/runtime")[name].update(id, olds, news),
    delete: (id, props) => require("pulumi-image-members/runtime")[name].delete(id, props),
  };
}
