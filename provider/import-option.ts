import * as pulumi from "@pulumi/pulumi";

/**
 * The `import` resource option cannot work for a dynamic resource: the engine's Read for an import
 * carries no inputs, so the plugin host has no `__provider` to run (pulumi/pulumi#3550, #16175).
 * Refused in the constructor, before any step, with the way out.
 */
export function refuseImport(type: string, name: string, opts: pulumi.CustomResourceOptions | undefined, instead: string): void {
  if (opts?.import === undefined) return;
  throw new pulumi.RunError(
    `${type} "${name}": the import option cannot work for a Pulumi dynamic resource (the engine's import carries no inputs, so the provider's code cannot be found): ${instead}`,
  );
}
