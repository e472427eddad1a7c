"use strict";
// The benchmark's no-op dynamic provider: create, read and delete return at once, diff reports no
// change. N of these through the same CLI command as N ImageMembers give what the CLI, the plugin
// host and the file backend cost by themselves (time, plugin memory, checkpoint writes).
//
// bench/measure.ts copies this file into the program directory and the program loads it
// from there with plain require (never through a test runner's transform); Pulumi serializes the
// provider object by value into each resource's `__provider`: its functions capture nothing.
const noopProvider = {
  async diff() {
    return { changes: false };
  },
  async create(inputs) {
    return { id: `noop-${inputs.index}`, outs: inputs };
  },
  async read(id, props) {
    return { id, props };
  },
  async delete() {},
};

/** Declares `count` no-op resources (type pulumi-nodejs:dynamic/bench:Noop) with `pulumi`, the
 *  program's @pulumi/pulumi. */
exports.declareNoops = (pulumi, count) => {
  for (let i = 0; i < count; i++) new pulumi.dynamic.Resource(noopProvider, `noop-${i}`, { index: i }, undefined, "bench", "Noop");
};
