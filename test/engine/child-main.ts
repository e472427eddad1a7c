// The child process side of a program-file run (see child-runner.js): builds the same engine from its
// serialized options, runs the command with the program in this process, and writes the result.
import * as fs from "node:fs";
import { Engine, type EngineInit, type ProgramFile, type UpOptions } from "./engine";

interface ChildRequest {
  engine: EngineInit;
  command: "up" | "preview";
  program: ProgramFile;
  options: UpOptions;
}

async function main(): Promise<void> {
  const [requestFile, resultFile] = process.argv.slice(2);
  const request: ChildRequest = JSON.parse(fs.readFileSync(requestFile, "utf8"));
  const engine = new Engine(request.engine);
  const options = { ...request.options, allowFailure: true };
  const result = request.command === "up" ? await engine.up(request.program, options) : await engine.preview(request.program, options);
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

main().then(
  // Exit at once: a failed run leaves the program's registrations pending on purpose.
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(70);
  },
);
