"use strict";
// Runs one `up`/`preview` of a Pulumi program file in this fresh Node process, which takes the place
// of Pulumi's Node language host (`@pulumi/pulumi/cmd/run`). TypeScript is set up the way run.js does
// it for a CommonJS project with TypeScript >= 4.7: ts-node, `project` = ./tsconfig.json (or
// PULUMI_NODEJS_TSCONFIG_PATH) when present, compiler options target ES2020 + module/moduleResolution
// nodenext + sourceMap, overridden by the tsconfig's, transpileOnly from PULUMI_NODEJS_TRANSPILE_ONLY
// or the tsconfig's `noCheck`. typescript and ts-node come from the program directory when installed
// there (as for the language host), else from this repository.
//
// The emulator's own TypeScript files (this directory) are not the user's program: a plain transpile
// hook compiles them, so the program's tsconfig and type checking never apply to them.
//
//   node child-runner.js <request.json> <result.json>      (cwd = the program directory)
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const programDir = process.cwd();
const fromProgram = createRequire(path.join(programDir, "package.json"));
const fromHere = createRequire(__filename);
const resolveTool = (id) => {
  try {
    return fromProgram.resolve(id);
  } catch {
    return fromHere.resolve(id);
  }
};

const sdkRoot = path.dirname(fromProgram.resolve("@pulumi/pulumi/package.json"));
const { loadTypeScriptCompilerOptions } = require(path.join(sdkRoot, "tsutils.js"));
const tsConfigPath = process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json";
const compilerOptions = loadTypeScriptCompilerOptions(tsConfigPath);
const transpileOnlyEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
require(resolveTool("ts-node")).register({
  compiler: resolveTool("typescript"),
  transpileOnly: transpileOnlyEnv ? transpileOnlyEnv === "true" : compilerOptions.noCheck,
  project: tsConfigPath,
  skipProject: !fs.existsSync(tsConfigPath),
  compilerOptions: {
    target: "ES2020",
    module: "nodenext",
    moduleResolution: "nodenext",
    sourceMap: "true",
    ...compilerOptions,
  },
});

const ts = fromHere("typescript");
const tsNodeHook = require.extensions[".ts"];
require.extensions[".ts"] = function (module, filename) {
  if (!filename.startsWith(__dirname + path.sep)) return tsNodeHook(module, filename);
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
    },
  });
  module._compile(outputText, filename);
};

require("./child-main.ts");
