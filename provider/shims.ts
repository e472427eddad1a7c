import type * as pulumi from "@pulumi/pulumi";

/**
 * The objects handed to `pulumi.dynamic.Resource`. Pulumi serializes them by value into the state and
 * runs them in a separate plugin process (a module under node_modules is serialized as a require of
 * its path; code from a local file would be copied by value), so they capture nothing: each method
 * requires the implementation from the installed package when it is called. In the plugin,
 * Node's module cache then gives every resource one token cache and one keep-alive agent.
 *
 * The module path is a string literal in each body on purpose: a captured constant would be
 * serialized by value, and so would anything else these functions referred to.
 */
export const imageMemberShim: pulumi.dynamic.ResourceProvider = {
  configure: async (req) => require("pulumi-image-members/runtime").configure(req.config),
  check: (olds, news) => require("pulumi-image-members/runtime").imageMemberProvider.check(olds, news),
  diff: (id, olds, news) => require("pulumi-image-members/runtime").imageMemberProvider.diff(id, olds, news),
  create: (inputs) => require("pulumi-image-members/runtime").imageMemberProvider.create(inputs),
  read: (id, props) => require("pulumi-image-members/runtime").imageMemberProvider.read(id, props),
  update: (id, olds, news) => require("pulumi-image-members/runtime").imageMemberProvider.update(id, olds, news),
  delete: (id, props) => require("pulumi-image-members/runtime").imageMemberProvider.delete(id, props),
};

export const memberAcceptanceShim: pulumi.dynamic.ResourceProvider = {
  configure: async (req) => require("pulumi-image-members/runtime").configure(req.config),
  check: (olds, news) => require("pulumi-image-members/runtime").memberAcceptanceProvider.check(olds, news),
  diff: (id, olds, news) => require("pulumi-image-members/runtime").memberAcceptanceProvider.diff(id, olds, news),
  create: (inputs) => require("pulumi-image-members/runtime").memberAcceptanceProvider.create(inputs),
  read: (id, props) => require("pulumi-image-members/runtime").memberAcceptanceProvider.read(id, props),
  update: (id, olds, news) => require("pulumi-image-members/runtime").memberAcceptanceProvider.update(id, olds, news),
  delete: (id, props) => require("pulumi-image-members/runtime").memberAcceptanceProvider.delete(id, props),
};
