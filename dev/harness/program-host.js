// The language runtime of one CLI command for a program in its own folder (node program-host.js
// <project dir> <main>): @pulumi/pulumi's Automation API server (what inline programs use) runs the
// program with @pulumi/pulumi's own program loader, `cmd/run` — the one its Node.js language host
// starts: TypeScript through ts-node with the folder's tsconfig.json, `main` from Pulumi.yaml or
// package.json, the module's exports as the stack outputs.
//
// Prints `address 127.0.0.1:<port>` once serving (the caller passes it as `pulumi ... --client=`),
// and exits when its stdin ends (the CLI has exited).
"use strict";
const path = require("node:path");
const { createRequire } = require("node:module");

const [dir, main = "."] = process.argv.slice(2);
const req = createRequire(path.join(path.resolve(dir), "package.json"));
const grpc = req("@grpc/grpc-js");
const { LanguageServer } = req("@pulumi/pulumi/automation/server");
const langrpc = req("@pulumi/pulumi/proto/language_grpc_pb");
const { grpcChannelOptions } = req("@pulumi/pulumi/runtime");
// cmd/run/run.js imports its package's index.js only for one exit-code constant, and that index.js
// runs a program as soon as it is loaded: give run.js the constant without running anything.
const Module = require("node:module");
const runIndex = req.resolve("@pulumi/pulumi/cmd/run");
const stub = new Module(runIndex);
stub.filename = runIndex;
stub.loaded = true;
stub.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
Module._cache[runIndex] = stub;
const { run } = req("@pulumi/pulumi/cmd/run/run");

// what the Node.js language host sets for a program (its `typescript` runtime option defaults to true)
process.env.PULUMI_NODEJS_TYPESCRIPT ??= "true";

// The server runs the program inside the stack resource it registers; run.js would register a
// second one around the module it loads: inside the server's, it runs the module directly.
const runtimeStack = req("@pulumi/pulumi/runtime/stack");
let reported;
const program = () => {
  runtimeStack.runInPulumiStack = (fn) => fn();
  return run(
    { _: [main], pwd: path.resolve(dir) },
    () => undefined,
    (err) => (reported = err),
    (err) => reported === err,
  );
};

const server = new grpc.Server({ ...grpcChannelOptions });
const language = new LanguageServer(program);
server.addService(langrpc.LanguageRuntimeService, language);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  process.stdout.write(`address 127.0.0.1:${port}\n`);
});

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  language.onPulumiExit(input.trim() === "failed");
  server.forceShutdown();
  process.exit(0);
});
