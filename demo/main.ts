// npm run demo -- the project's main job, end to end, on this machine, with the real Pulumi CLI:
//
//   the Pulumi CLI: `pulumi version` (the one on PATH when new enough, with its Node.js language host,
//     else both built from Go modules by dev/pulumi-cli.sh, once per machine: the demo shows that
//     build when it happens)
//   → a real Keystone + Glance on 127.0.0.1 (dev/rig/openstack.sh, temporary state dir, free ports)
//   → the producer project creates a shared image
//   → examples/producer (`pulumi up`) shares it with the consumer project
//   → examples/consumer (`pulumi up`) accepts it: the image appears in the consumer's image list
//   → the consumer's status is changed behind the stack's back (rejected, with the consumer's credentials)
//   → the drift check `pulumi preview --refresh --expect-no-changes` fails with exit code 7
//   → `pulumi up --refresh` repairs it, the check passes again
//   → both stacks destroyed, the image deleted, OpenStack stopped.
//
// Each example is copied into a scratch directory with the package installed from its `npm pack`
// tarball, as users get it; its stack lives in a local file backend inside that copy (no login, a
// passphrase secrets provider), run through dev/harness/pulumi.ts: a plain `pulumi up` there, the CLI
// starting its Node.js language host (pulumi-language-nodejs) to run the example's index.ts. Every
// `pulumi` command the transcript shows is the one that ran there, followed by what the CLI printed
// and its exit code.
//
//   npm run demo                  exit code 0 when every step went as expected, 1 otherwise
//   npm run demo -- --no-build    do not rebuild dist/ when provider/ or sdk/ is newer
//
// Runs with ts-node (a devDependency; transpile only): Node's own type stripping cannot run the
// harness's TypeScript (parameter properties), see the "demo" script in package.json.
//
// DEMO_OPENSTACK_PASSWORD (tests only): the local users' password, so that a test can check that the
// transcript never shows it; default: a random one. Nothing here prints a password or a token, and
// the demo fails when one reaches its transcript, a command's diagnostics or a stack's files.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { createImage, deleteImage, listImages, listMembersRaw, session, setMemberStatusRaw } from "../dev/harness/images";
import { type OpenStack, randomPassword, startOpenStack } from "../dev/harness/openstack";
import { createProgramDir, type ProgramDir, projectPackage } from "../dev/harness/programs";
import { languageHosts, PulumiRunError, PulumiStack, pulumiCli, type RunResult, type StackConfig } from "../dev/harness/pulumi";
import { changedInputs, changes, extraLines, renderRun, Transcript, table } from "./format";

const REPO = path.resolve(__dirname, "..");
const IMAGE_NAME = "demo-golden-image";
const LABEL = "golden"; // the examples' optional `name`: resources share-golden…, accept-golden
const STACK = "dev";
const SHARE = "pulumi-nodejs:dynamic/glance:ImageShare";
const ACCEPTANCE = "pulumi-nodejs:dynamic/glance:MemberAcceptance";
/** The example folder's own program (Pulumi.yaml, package.json's main: index.ts), run by the CLI's
 *  Node.js language host. */
const PROGRAM = {};

class DemoFailure extends Error {}

interface Example {
  /** examples/<name>, as shown to the user. */
  example: string;
  project: string;
  prog: ProgramDir;
  /** Once `pulumi stack init` ran. */
  stack?: PulumiStack;
}

const t = new Transcript();
const started = Date.now();
let step = 0;
let stepTitle = "";
let openstack: OpenStack | undefined;
const examples: Example[] = [];
let imageId: string | undefined;
/** The `pulumi` command running now (it leads its own process group): stopped on Ctrl-C. */
let running: ChildProcess | undefined;

function heading(title: string): void {
  stepTitle = title;
  t.heading(++step, title);
}

function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new DemoFailure(what);
}

// --- the Pulumi commands ------------------------------------------------------------------------

type PulumiCommand = "up" | "up --refresh" | "preview --refresh --expect-no-changes" | "destroy";

/** What dev/harness/pulumi.ts runs for each (plus `--stack`, `--non-interactive`, `--color never` and
 *  `--event-log`). */
const CLI: Record<PulumiCommand, string> = {
  up: "pulumi up --yes --skip-preview",
  "up --refresh": "pulumi up --refresh --yes --skip-preview",
  "preview --refresh --expect-no-changes": "pulumi preview --refresh --expect-no-changes",
  destroy: "pulumi destroy --yes --skip-preview",
};

async function pulumi(ex: Example, command: PulumiCommand, expectedExit: number): Promise<RunResult> {
  const stack = ex.stack;
  expect(stack, `${ex.example} has no stack yet`);
  t.command(CLI[command], ex.example);
  let result: RunResult;
  const opts = { allowFailure: true, onStart: (cli: ChildProcess) => (running = cli) };
  try {
    switch (command) {
      case "up":
        result = await stack.up(PROGRAM, opts);
        break;
      case "up --refresh":
        result = await stack.up(PROGRAM, { ...opts, refresh: true });
        break;
      case "preview --refresh --expect-no-changes":
        result = await stack.preview(PROGRAM, { ...opts, refresh: true, expectNoChanges: true });
        break;
      case "destroy":
        result = await stack.destroy(opts);
        break;
    }
  } finally {
    running = undefined;
  }
  // everything the command produced, the plugin's diagnostics included, is checked for secrets
  t.scan(result.output, `the output of \`${CLI[command]}\` in ${ex.example}`);
  // the example ran as a user's `pulumi up` runs it: under the CLI's language host
  expect(languageHosts(result.processes).length > 0, `\`${CLI[command]}\` in ${ex.example} started no pulumi-language-nodejs`);
  // as expected: the CLI's output without its progress lines; else all of it
  renderRun(t, result, result.exitCode !== expectedExit);
  if (result.exitCode !== expectedExit) {
    const extra = extraLines(result).slice(-30);
    if (extra.length) t.lines(extra.join("\n"), "  | ");
    throw new DemoFailure(`\`${CLI[command]}\` in ${ex.example} exited with ${result.exitCode}, expected ${expectedExit}`);
  }
  return result;
}

/** `pulumi stack init` and `pulumi config set [--path]` in the example's copy, printed as typed. */
async function stackInit(ex: Example, settings: [key: string, value: string][]): Promise<PulumiStack> {
  t.command(`pulumi stack init ${STACK}`, ex.example);
  const config: StackConfig = {};
  for (const [key, value] of settings) {
    const pathKey = /[[.]/.test(key);
    t.command(`pulumi config set ${pathKey ? `--path '${key}'` : key} ${value}`, ex.example);
    config[`${ex.project}:${key}`] = value;
  }
  ex.stack = await PulumiStack.create({
    programDir: ex.prog,
    project: ex.project,
    stack: STACK,
    config,
    env: { OS_CLIENT_CONFIG_FILE: openstack!.cloudsFile },
  });
  return ex.stack;
}

// --- what the consumer sees, straight from Glance ----------------------------------------------

async function showConsumerImages(): Promise<boolean> {
  const os = openstack!;
  t.command("openstack --os-cloud consumer image list");
  const images = await listImages(os.cloudsFile, "consumer");
  trackTokens();
  for (const l of table(
    ["ID", "Name", "Status"],
    images.map((i) => [i.id, String(i.name ?? ""), i.status]),
  ))
    t.line(l);
  return images.some((i) => i.id === imageId);
}

async function memberStatus(entry: "producer" | "consumer"): Promise<string | undefined> {
  const r = await listMembersRaw(openstack!.cloudsFile, entry, imageId!);
  trackTokens();
  expect(r.status === 200, `listing the image's members as ${entry} answered ${r.status}`);
  return (r.body?.members ?? []).find((m: { member_id: string }) => m.member_id === openstack!.projects.consumer)?.status;
}

/** The demo's own Keystone tokens (from dev/harness/images.ts) join the secrets the transcript hides. */
function trackTokens(): void {
  if (!openstack) return;
  for (const entry of ["producer", "consumer"]) {
    session(openstack.cloudsFile, entry).then(
      (s) => t.addSecret(s.token),
      () => undefined,
    );
  }
}

// --- environment --------------------------------------------------------------------------------

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function newestMtime(dir: string, filter: (f: string) => boolean): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, filter));
    else if (filter(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/ is what gets packed: build it when it is missing or older than provider/ and sdk/. */
function ensureBuilt(allowBuild: boolean): void {
  const entry = path.join(REPO, "dist", "provider", "index.js");
  const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
  const sources = Math.max(...["provider", "sdk"].map((d) => newestMtime(path.join(REPO, d), (f) => f.endsWith(".ts"))));
  if (built >= sources) return;
  if (!allowBuild) {
    expect(built > 0, "dist/ is missing: run `npm run build` (or `npm ci`, which builds it), or drop --no-build");
    t.note("dist/ is older than provider/ or sdk/ (--no-build: using it as it is)");
    return;
  }
  t.command("npm run build");
  const r = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "--silent", "build"], { cwd: REPO, encoding: "utf8" });
  if (r.status !== 0) {
    t.lines(`${r.stdout ?? ""}${r.stderr ?? ""}`, "  ");
    throw new DemoFailure("`npm run build` failed: the package cannot be packed");
  }
}

/**
 * dev/pulumi-cli.sh finds the CLI, or builds it (minutes, once per machine): its progress lines
 * are shown as they come. Returns the directory it printed.
 */
function locateCli(): Promise<{ binDir: string; builtNow: boolean }> {
  t.command(
    "npm run --silent pulumi:bin   # the pulumi on PATH when >= 3.227 and has its language host, else the pinned CLI built from Go modules once per machine",
  );
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO, "dev", "pulumi-cli.sh"), "bin"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let pending = "";
    let builtNow = false;
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => {
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) {
        if (/building .* from Go modules/.test(l)) builtNow = true;
        t.line(`  ${l}`);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (pending) t.line(`  ${pending}`);
      const binDir = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !binDir) reject(new DemoFailure(`dev/pulumi-cli.sh bin exited with ${code}: no Pulumi CLI to run the stacks with`));
      else resolve({ binDir, builtNow });
    });
  });
}

/** OS_* variables from the user's shell would steer the plugin elsewhere: the demo uses only its own cloud. */
function scrubOpenStackEnv(): string[] {
  const removed = Object.keys(process.env).filter((k) => k.startsWith("OS_"));
  for (const k of removed) delete process.env[k];
  return removed;
}

function projectName(example: string): string {
  const doc = parseYaml(fs.readFileSync(path.join(REPO, "examples", example, "Pulumi.yaml"), "utf8")) as { name?: string };
  expect(doc?.name, `examples/${example}/Pulumi.yaml has no project name`);
  return doc.name;
}

/** Every file of an example's copy but node_modules: its config, the stack's state, history and backups. */
function filesOf(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(p);
      } else if (entry.isFile() && fs.statSync(p).size < 16 * 1024 * 1024) files.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return files;
}

// --- the demo ------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    t.line("usage: npm run demo [-- --no-build]");
    return;
  }
  const unknown = argv.filter((a) => a !== "--no-build");
  expect(unknown.length === 0, `unknown argument ${unknown.join(" ")} (usage: npm run demo [-- --no-build])`);

  t.line("pulumi-image-members demo: a producer project shares a Glance image, a consumer project accepts it,");
  t.line("the consumer's answer is changed behind its stack's back, the drift check catches it, `pulumi up --refresh`");
  t.line("repairs it. Everything runs on 127.0.0.1 and is removed at the end. Each pulumi command shown runs with");
  t.line("the real Pulumi CLI in a copy of the example, with a local file backend there (no login, no Pulumi Cloud);");
  t.line("under it: what the CLI printed (its progress lines left out: one line per resource) and its exit code.");
  const scrubbed = scrubOpenStackEnv();
  if (scrubbed.length) t.note(`ignoring ${scrubbed.join(", ")} from your shell: the demo uses only its own local cloud`);

  // 1 --------------------------------------------------------------------------------------------
  heading("The Pulumi CLI");
  const located = await locateCli();
  const cli = pulumiCli();
  expect(cli.binDir === located.binDir, `dev/pulumi-cli.sh answered ${located.binDir}, then ${cli.binDir}`);
  const onPath = findOnPath("pulumi");
  const fromPath = onPath !== undefined && path.dirname(fs.realpathSync(onPath)) === fs.realpathSync(cli.binDir);
  t.line(
    `  ${cli.binDir}  (${
      fromPath
        ? "the pulumi on PATH"
        : located.builtNow
          ? "built now from Go modules, cached outside the clone"
          : "built earlier from Go modules, cached outside the clone"
    })`,
  );
  t.line(
    `  ${cli.languageHost}  (the Node.js language host: ${fromPath ? "the one the pulumi on PATH uses" : "built from github.com/pulumi/pulumi/sdk/v3 v3.68.0 with the CLI"})`,
  );
  t.command("pulumi version");
  t.line(cli.version);
  expect(/^v3\.\d+\.\d+/.test(cli.version), `\`pulumi version\` printed ${JSON.stringify(cli.version)}, expected v3.x.y`);

  // 2 --------------------------------------------------------------------------------------------
  heading("Start a local OpenStack (Keystone + Glance)");
  ensureBuilt(!argv.includes("--no-build"));
  t.command("bash dev/rig/openstack.sh up   # free loopback ports, temporary state dir");
  const password = process.env.DEMO_OPENSTACK_PASSWORD || randomPassword();
  t.addSecret(password);
  const t0 = Date.now();
  openstack = await startOpenStack({ password, adminPassword: password });
  const os = openstack;
  t.line(`  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: keystone ${os.authUrl}, glance ${os.imageUrl}`);
  t.line(`  clouds.yaml ${os.cloudsFile}: producer (project ${os.projects.producer}), consumer (project ${os.projects.consumer})`);
  t.command(`export OS_CLIENT_CONFIG_FILE=${os.cloudsFile}`);

  // 3 --------------------------------------------------------------------------------------------
  heading("Producer: create an image to share");
  t.command(`openstack --os-cloud producer image create --shared --disk-format raw --container-format bare ${IMAGE_NAME}`);
  imageId = await createImage(os.cloudsFile, "producer", { visibility: "shared", name: IMAGE_NAME });
  trackTokens();
  for (const l of table(
    ["Field", "Value"],
    [
      ["id", imageId],
      ["name", IMAGE_NAME],
      ["owner", os.projects.producer],
      ["visibility", "shared"],
    ],
  ))
    t.line(l);

  // 4 --------------------------------------------------------------------------------------------
  heading("Install pulumi-image-members as users get it");
  t.command("npm pack && npm install ./pulumi-image-members-<version>.tgz @pulumi/pulumi   # in a copy of each example");
  const t4 = Date.now();
  for (const example of ["producer", "consumer"]) {
    const prog = await createProgramDir(projectPackage(), { copyFrom: path.join(REPO, "examples", example), label: `demo-${example}` });
    examples.push({ example: `examples/${example}`, project: projectName(example), prog });
  }
  const [producer, consumer] = examples;
  const tpl = producer.prog.template;
  t.line(`  ${tpl.pkg.name}@${tpl.pkg.version} (${path.relative(REPO, tpl.pkg.tarball)}) with @pulumi/pulumi@${tpl.pulumiVersion}`);
  t.line(
    `  ${((Date.now() - t4) / 1000).toFixed(1)} s${tpl.buildMs ? " (packed and installed now)" : " (reused an install of the same package content)"}`,
  );

  // 5 --------------------------------------------------------------------------------------------
  heading("Producer stack: share the image with the consumer project");
  await stackInit(producer, [
    ["cloud", "producer"],
    ["shares[0].name", LABEL],
    ["shares[0].imageId", imageId],
    ["shares[0].projectIds[0]", os.projects.consumer],
  ]);
  const up1 = await pulumi(producer, "up", 0);
  const shareName = `share-${LABEL}`;
  expect(
    changes(up1).some((s) => s.op === "create" && s.type === SHARE && s.name === shareName),
    `the producer's up did not create ImageShare ${shareName}`,
  );
  expect(up1.summary.create === 2, `the producer's up created ${up1.summary.create ?? 0} resources, expected 2 (stack, ImageShare)`);
  t.line();
  t.command(`openstack --os-cloud producer image member list ${imageId}`);
  const pending = await memberStatus("producer");
  for (const l of table(["Image ID", "Member ID", "Status"], pending ? [[imageId, os.projects.consumer, pending]] : [])) t.line(l);
  expect(pending === "pending", `after the producer's up the consumer's membership is ${pending ?? "missing"}, expected pending`);

  // 6 --------------------------------------------------------------------------------------------
  heading("Consumer stack: accept the share");
  t.note("the share is pending: the image is not in the consumer's image list yet");
  expect(!(await showConsumerImages()), "the consumer lists the image before accepting it");
  t.line();
  await stackInit(consumer, [
    ["cloud", "consumer"],
    ["images[0].name", LABEL],
    ["images[0].imageId", imageId],
  ]);
  const up2 = await pulumi(consumer, "up", 0);
  expect(
    changes(up2).some((s) => s.op === "create" && s.type === ACCEPTANCE && s.name === `accept-${LABEL}`),
    `the consumer's up did not create MemberAcceptance accept-${LABEL}`,
  );
  expect(
    JSON.stringify(up2.outputs.accepted) === JSON.stringify([imageId]),
    `the consumer's output accepted is ${JSON.stringify(up2.outputs.accepted)}`,
  );
  t.line();
  expect(await showConsumerImages(), "the consumer does not list the image after accepting it");
  t.note(`${IMAGE_NAME} is in the consumer's list now: accepted`);

  // 7 --------------------------------------------------------------------------------------------
  heading("Drift check (what CI runs on a schedule): nothing drifted");
  for (const ex of [producer, consumer]) {
    const check = await pulumi(ex, "preview --refresh --expect-no-changes", 0);
    expect(
      changes(check).length === 0,
      `the drift check of ${ex.example} proposed ${changes(check)
        .map((s) => `${s.op} ${s.name}`)
        .join(", ")}`,
    );
    if (ex === producer) t.line();
  }

  // 8 --------------------------------------------------------------------------------------------
  heading("Behind the consumer stack's back: someone rejects the share");
  t.command(`openstack --os-cloud consumer image set --reject ${imageId}`);
  const put = await setMemberStatusRaw(os.cloudsFile, "consumer", imageId, os.projects.consumer, "rejected");
  trackTokens();
  expect(put.status === 200, `setting the consumer's status to rejected answered ${put.status}`);
  t.line(`  member ${os.projects.consumer} of ${imageId}: status ${put.body?.status}`);
  t.line();
  expect(!(await showConsumerImages()), "the consumer still lists the image after rejecting it");
  t.note(`${IMAGE_NAME} is gone from the consumer's list: the stack declares accepted, Glance says rejected`);

  // 9 --------------------------------------------------------------------------------------------
  heading("Drift check: the consumer's stack fails with exit code 7");
  const drift = await pulumi(consumer, "preview --refresh --expect-no-changes", 7);
  const proposed = changes(drift).map((s) => `${s.op} ${s.name} (${changedInputs(drift, s.name, s.op).join(", ")})`);
  expect(
    proposed.length === 1 && proposed[0] === `update accept-${LABEL} (status)`,
    `the drift check proposed ${proposed.join("; ") || "nothing"}, expected: update accept-${LABEL} (status)`,
  );
  t.note("drift: the consumer's status changed outside its stack");
  t.line();
  const producerCheck = await pulumi(producer, "preview --refresh --expect-no-changes", 0);
  expect(
    changes(producerCheck).length === 0,
    `the producer's drift check proposed ${changes(producerCheck)
      .map((s) => `${s.op} ${s.name}`)
      .join(", ")}`,
  );
  t.note("not drift for the producer: accepting or rejecting is the consumer's decision");

  // 10 -------------------------------------------------------------------------------------------
  heading("Repair: pulumi up --refresh restores what the code declares");
  const repair = await pulumi(consumer, "up --refresh", 0);
  expect(
    changes(repair).some((s) => s.op === "update" && s.name === `accept-${LABEL}`),
    `\`pulumi up --refresh\` did not update accept-${LABEL}`,
  );
  const repaired = await memberStatus("consumer");
  expect(repaired === "accepted", `after the repair the consumer's status is ${repaired ?? "missing"}, expected accepted`);

  // 11 -------------------------------------------------------------------------------------------
  heading("Drift check passes again");
  const again = await pulumi(consumer, "preview --refresh --expect-no-changes", 0);
  expect(
    changes(again).length === 0,
    `the drift check after the repair proposed ${changes(again)
      .map((s) => `${s.op} ${s.name}`)
      .join(", ")}`,
  );
  t.line();
  expect(await showConsumerImages(), "the consumer does not list the image after the repair");

  // 12 -------------------------------------------------------------------------------------------
  heading("Clean up");
  const down2 = await pulumi(consumer, "destroy", 0);
  expect(down2.summary.delete === 2, `the consumer's destroy deleted ${down2.summary.delete ?? 0} resources, expected 2`);
  t.note("a consumer cannot delete a membership: destroying MemberAcceptance sets statusOnDelete (rejected)");
  t.line();
  const down1 = await pulumi(producer, "destroy", 0);
  expect(down1.summary.delete === 2, `the producer's destroy deleted ${down1.summary.delete ?? 0} resources, expected 2`);
  const left = await memberStatus("producer");
  expect(left === undefined, `after the producer's destroy the consumer is still a member (${left})`);
  t.line();
  t.command(`openstack --os-cloud producer image delete ${imageId}`);
  await deleteImage(os.cloudsFile, "producer", imageId);
  imageId = undefined;
  while (examples.length) {
    const ex = examples[0];
    expect(ex.stack!.resources().length === 0, `${ex.example}'s state still holds resources after destroy`);
    await removeExample(ex, () => t.command(`pulumi stack rm --yes ${STACK}`, ex.example));
    examples.shift();
  }
}

/** Checks every file of the example's copy for secrets, then removes the stack (`pulumi stack rm`
 *  when it holds no resources) and the copy. */
async function removeExample(ex: Example, announce: () => void = () => undefined): Promise<void> {
  for (const f of filesOf(ex.prog.dir)) t.scan(fs.readFileSync(f, "utf8"), `${ex.example}'s ${path.relative(ex.prog.dir, f)}`);
  announce();
  if (ex.stack) await ex.stack.remove();
  else ex.prog.remove();
}

/** Always runs: what is left of the examples' copies (their stacks' state with them) goes, after
 *  the check for secrets, and the servers stop. */
async function cleanup(): Promise<string[]> {
  const problems: string[] = [];
  for (const ex of examples.splice(0)) {
    try {
      await removeExample(ex);
    } catch (e) {
      problems.push(`removing ${ex.prog.dir}: ${(e as Error).message}`);
    }
  }
  if (openstack) {
    const os = openstack;
    openstack = undefined;
    t.command("bash dev/rig/openstack.sh down");
    try {
      await os.stop();
      t.line("  stopped; state dir removed");
    } catch (e) {
      problems.push(`stopping OpenStack: ${(e as Error).message}`);
    }
  }
  return problems;
}

async function run(): Promise<number> {
  let failure: unknown;
  const onSignal = (signal: NodeJS.Signals) => {
    t.line(`\ninterrupted (${signal}): stopping OpenStack`);
    if (running?.pid) {
      try {
        process.kill(-running.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    failure = e;
  }
  // every token the demo itself obtained is known before its stacks' files are checked
  trackTokens();
  await new Promise((r) => setTimeout(r, 10));
  const problems = await cleanup();
  // ... and the whole transcript once more
  t.rescan();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  t.line();
  if (failure) {
    const why =
      failure instanceof DemoFailure
        ? failure.message
        : failure instanceof PulumiRunError
          ? failure.message
          : ((failure as Error)?.stack ?? String(failure));
    t.line(`demo FAILED ${step ? `at step ${step} (${stepTitle})` : "before its first step"} after ${seconds} s:`);
    t.lines(String(why), "  ");
    for (const p of problems) t.line(`  cleanup: ${p}`);
    return 1;
  }
  if (problems.length) {
    t.line(`demo FAILED while cleaning up after ${seconds} s:`);
    for (const p of problems) t.line(`  ${p}`);
    return 1;
  }
  if (t.leaks) {
    const where = t.leakedIn.length ? `; outside it: ${t.leakedIn.join(", ")}` : "";
    t.line(`demo FAILED: a secret was found ${t.leaks} time(s) (shown as [secret] in the transcript${where})`);
    return 1;
  }
  t.line(`demo finished in ${seconds} s: every step went as expected.`);
  return 0;
}

run().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
