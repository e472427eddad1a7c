// The benchmark's Pulumi stacks as folder programs: a project folder whose index.js is one of
// bench/programs/*.js (precompiled: no TypeScript to compile in a timed command), run by a plain
// `pulumi up/preview/refresh/destroy` there through the CLI's Node.js language host, as a user's
// program is. Stacks sharing a folder each read their inputs from inputs/<stack>.json.
import * as fs from "node:fs";
import * as path from "node:path";

/** bench/programs/<file>'s text. */
export function programSource(file: string): string {
  return fs.readFileSync(path.join(__dirname, "programs", file), "utf8");
}

/** Makes bench/programs/<file> the folder's program (its index.js: package.json names no main). */
export function useProgram(dir: string, file: string): void {
  fs.writeFileSync(path.join(dir, "index.js"), programSource(file));
}

/** Writes stack `stack`'s inputs, which its program reads from inputs/<stack>.json. */
export function writeInputs(dir: string, stack: string, inputs: unknown): void {
  fs.mkdirSync(path.join(dir, "inputs"), { recursive: true });
  fs.writeFileSync(path.join(dir, "inputs", `${stack}.json`), JSON.stringify(inputs));
}
