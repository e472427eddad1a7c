/** Each resource's provider module (`./dynamic/*`); each export path is kept forever. */
const providerModules = {
  ImageMember: "image-member",
  MemberAcceptance: "member-acceptance",
  ImageShare: "image-share",
  AcceptShares: "accept-shares",
} as const;

export type DynamicResourceName = keyof typeof providerModules;

/**
 * The type token of one of this package's dynamic resources: Pulumi's dynamic provider plugin
 * (`pulumi-nodejs`) serves every `pulumi-nodejs:dynamic/...` resource.
 */
export const dynamicType = (name: DynamicResourceName): string => `pulumi-nodejs:dynamic/glance:${name}`;

/**
 * A dynamic resource's inputs with its serialized provider (`__provider`), which the engine stores in
 * the resource's inputs and outputs and hands to Pulumi's dynamic provider plugin: the plugin loads
 * the text as a CommonJS module and calls `handler()` for the provider (@pulumi/pulumi's
 * cmd/dynamic-provider).
 *
 * The text requires the resource's provider module from the installed package, in under 80 bytes, for
 * an install under node_modules and a symlinked one (`npm link`, the repository's root program), where
 * Pulumi's own serializer would copy the module by value. Node's module cache gives every resource of
 * a plugin process one token cache and one keep-alive agent.
 *
 * The resources extend `CustomResource` and add this themselves rather than extend
 * `pulumi.dynamic.Resource`: that saves the serializer's wrapping (200 bytes, twice per resource),
 * and a constructor between the user's program and `CustomResource`, which Pulumi would otherwise
 * record as the resource's source position instead of the program's line.
 */
export function withProvider<T extends object>(name: DynamicResourceName, inputs: T): T & { __provider: string } {
  return { ...inputs, __provider: `exports.handler=()=>require("pulumi-image-members/dynamic/${providerModules[name]}")` };
}
