// Links node_modules/pulumi-image-members to this repository, so the root Pulumi.yaml program
// (examples/from-config) works here as it does in a user's project. Pulumi's plugin process loads
// the serialized provider shims with require("pulumi-image-members/runtime") from the program's
// directory, where only node_modules lookups apply (a package cannot see itself by name there).
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "pulumi-image-members");
try {
  if (fs.realpathSync(link) === root) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch {
  // not there yet
}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync("..", link, "dir");
