import type * as pulumi from "@pulumi/pulumi";

/** The runtime's exports a shim can stand for (provider/runtime.ts). */
export type ProviderExport = "imageMemberProvider" | "memberAcceptanceProvider";

/**
 * The object handed to `pulumi.dynamic.Resource` for one provider. Pulumi serializes it by value into
 * the state and runs it in a separate plugin process (a module under node_modules is serialized as a
 * require of its path; code from a local file would be copied by value), so its functions capture
 * nothing but `name`, a string: each requires the implementation from the installed package when it
 * is called. In the plugin, Node's module cache then gives every resource one token cache and one
 * keep-alive agent.
 *
 * The module path is a string literal in each body on purpose: a captured constant would be
 * serialized by value, and so would anything else these functions referred to. That path is written
 * into every stack's state: `pulumi-image-members/runtime` is exported forever.
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

export const imageMemberShim = shimFor("imageMemberProvider");
export const memberAcceptanceShim = shimFor("memberAcceptanceProvider");
