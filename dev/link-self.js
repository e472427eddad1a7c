// Links node_modules/pulumi-image-members to this repository, so the root Pulumi.yaml program
// (examples/from-config, with the repository as its project directory) works here as it does in a
// user's project. Node resolves a package's own name only for a module whose nearest package.json
// is that package's, and neither module that needs the name here has one: the program's index.ts
// (examples/from-config has a package.json of its own, so the folder can be copied out and
// installed alone), and the serialized providers, which Pulumi's plugin process compiles from the
// state without a file name: their require("pulumi-image-members/...") searches only the
// node_modules folders above the plugin's working directory, the project directory.
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
