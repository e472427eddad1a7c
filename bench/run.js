"use strict";
// Entry point of `npm run bench`: runs bench/main.ts with a plain TypeScript transpile hook.
//
// Not ts-node: ts-node installs source-map-support, which rewrites every stack trace, and the
// Pulumi runtime of the in-process program captures a stack for each resource it registers; on two
// shared cores that cost (~3 ms of CPU per resource) comes out of Glance's share and distorts the
// numbers. Type checking is `npm run typecheck`'s job (test/tsconfig.json includes bench/).
//
//   node bench/run.js [--members N] [--runs R] ...      (see bench/main.ts)
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};

require(path.join(root, "bench", "main.ts"));
