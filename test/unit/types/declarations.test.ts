// The built declarations (dist/, what `npm run build` wrote and `npm pack` publishes) compiled as a
// user's program imports them, by the repository's own TypeScript, in seconds and with nothing to
// install: under the Pulumi template's `module: commonjs` + `moduleResolution: node` (`exports` is
// not read there: `/sdk` resolves through `typesVersions`) and under `nodenext` (`exports` read),
// as a CommonJS file and as an ES module (.mts). test/types/published-types.test.ts compiles the
// same program against the packed tarball with the toolchains users install.
//
// The program's files are served from memory at a path inside the repository, with a package.json
// of their own (else the import would be the package naming itself), so `pulumi-image-members`
// resolves through node_modules to the package (`prepare` links it, dev/link-self.js) and
// @pulumi/pulumi and @types/node are the repository's; nothing is written.
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { consumerProgram, nodenextTsconfig, pulumiTemplateTsconfig } from "../support/consumer";

const ROOT = fs.realpathSync(path.resolve(__dirname, "../../.."));
const DIST = path.join(ROOT, "dist");
/** Where the program's files seem to be (no such directory exists). */
const PROGRAM_DIR = path.join(ROOT, "test", "unit", "types", "consumer");

/** A path relative to the repository, with forward slashes on every OS. */
const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join("/");

interface Compiled {
  errors: string[];
  /** Every file in the program, real paths. */
  files: string[];
}

function compile(tsconfig: { compilerOptions: Record<string, unknown> }, sources: Record<string, string>): Compiled {
  const converted = ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, PROGRAM_DIR);
  expect(converted.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
  // no outDir: with one, TypeScript maps a package whose real path lies outside node_modules (the
  // self-link) back to its sources, which a user's install never is
  const options: ts.CompilerOptions = { ...converted.options, noEmit: true, outDir: undefined };
  // TypeScript 6 deprecates `moduleResolution: node` (node10), which the template still sets on
  // TypeScript 5, and no longer includes every @types package by default
  if (options.moduleResolution === ts.ModuleResolutionKind.Node10) Object.assign(options, { ignoreDeprecations: "6.0", types: ["node"] });
  const roots = Object.keys(sources).map((name) => path.join(PROGRAM_DIR, name));
  const files = new Map(
    Object.entries({ ...sources, "package.json": '{ "name": "consumer", "private": true }' }).map(([name, text]) => [
      path.join(PROGRAM_DIR, name),
      text,
    ]),
  );
  // by the OS's form of the path: TypeScript asks with forward slashes on every OS
  const virtual = (f: string) => files.get(path.resolve(f));
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => virtual(f) !== undefined || fileExists.call(host, f);
  host.readFile = (f) => virtual(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = virtual(f);
    return text !== undefined ? ts.createSourceFile(f, text, lang) : getSourceFile.call(host, f, lang, ...rest);
  };
  const program = ts.createProgram(roots, options, host);
  // what tsc reports, but type-checked only in the program's files and the package's declarations:
  // checking every declaration of @pulumi/pulumi and @types/node too would cost most of the time,
  // and says nothing about this package (the tarball test checks them all, beside a control)
  const checked = program
    .getSourceFiles()
    .filter((f) => virtual(f.fileName) !== undefined || fs.realpathSync(f.fileName).startsWith(DIST + path.sep));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...checked.flatMap((f) => program.getSemanticDiagnostics(f)),
  ];
  const errors = diagnostics.map((d) => {
    const where =
      d.file && d.start !== undefined ? `${rel(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
    return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
  return {
    errors,
    files: program
      .getSourceFiles()
      .map((f) => (virtual(f.fileName) !== undefined ? path.resolve(f.fileName) : fs.realpathSync(f.fileName))),
  };
}

/** The package's own files in the program, relative to the repository. */
const ours = (c: Compiled) =>
  c.files
    .filter((f) => f.startsWith(ROOT + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`) && !f.startsWith(PROGRAM_DIR))
    .map(rel);

describe("the built declarations compile in a user's program", () => {
  it("dist/ is there and no older than the sources it is built from (npm run build)", () => {
    const link = path.join(ROOT, "node_modules", "pulumi-image-members");
    expect(
      fs.existsSync(link) && fs.realpathSync(link),
      "node_modules/pulumi-image-members links the package to itself (npm ci runs `prepare`)",
    ).toBe(ROOT);
    const stale = ["sdk", "provider"].flatMap((dir) =>
      fs
        .readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith(".ts"))
        .flatMap((f) => {
          const built = path.join(DIST, dir, f.replace(/\.ts$/, ".d.ts"));
          if (!fs.existsSync(built)) return [`${dir}/${f}: dist has no declaration`];
          return fs.statSync(built).mtimeMs < fs.statSync(path.join(ROOT, dir, f)).mtimeMs
            ? [`${dir}/${f}: changed after its declaration was built`]
            : [];
        }),
    );
    expect(stale, "run npm run build").toEqual([]);
  });

  it("module commonjs, moduleResolution node (Pulumi's typescript template): /sdk through typesVersions", () => {
    const c = compile(pulumiTemplateTsconfig, { "index.ts": consumerProgram(false) });
    expect(c.errors).toEqual([]);
    expect(ours(c)).toEqual(expect.arrayContaining(["dist/provider/index.d.ts", "dist/sdk/index.d.ts"]));
    // the declarations, never the sources; and no type of got
    expect(ours(c).filter((f) => !f.startsWith("dist/"))).toEqual([]);
    expect(c.files.filter((f) => f.includes(`${path.sep}node_modules${path.sep}got${path.sep}`))).toEqual([]);
  });

  // one program (loading @pulumi/pulumi's declarations takes seconds): the user's files, and a
  // file misusing the package that must fail, so the check is seen to be able to fail
  const MISUSE = `import { ImageMember } from "pulumi-image-members";\nnew ImageMember("m", { imageId: 1, memberId: "p" });\n`;
  let nodenext: Compiled | undefined;
  const compileNodenext = () =>
    (nodenext ??= compile(nodenextTsconfig, {
      "index.ts": consumerProgram(false),
      "index.mts": consumerProgram(true),
      "misuse.ts": MISUSE,
    }));

  it("module nodenext: a CommonJS file and an ES module, through exports", () => {
    const c = compileNodenext();
    expect(c.errors.filter((e) => !e.startsWith("test/unit/types/consumer/misuse.ts:"))).toEqual([]);
    expect(ours(c)).toEqual(expect.arrayContaining(["dist/provider/index.d.ts", "dist/sdk/index.d.ts"]));
    expect(ours(c).filter((f) => !f.startsWith("dist/"))).toEqual([]);
    expect(c.files.filter((f) => f.includes(`${path.sep}node_modules${path.sep}got${path.sep}`))).toEqual([]);
  });

  it("a program misusing the package fails to compile (the check can fail)", () => {
    expect(compileNodenext().errors.filter((e) => e.startsWith("test/unit/types/consumer/misuse.ts:"))).toEqual([
      "test/unit/types/consumer/misuse.ts:2: TS2322 Type 'number' is not assignable to type 'Input<string>'.",
    ]);
  });
});
