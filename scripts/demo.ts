// npm run demo -- the project's main job, end to end, on this machine:
//
//   a real Keystone + Glance on 127.0.0.1 (scripts/openstack.sh, temporary state dir, free ports)
//   → the producer project creates a shared image
//   → examples/producer (`pulumi up`) shares it with the consumer project
//   → examples/consumer (`pulumi up`) accepts it: the image appears in the consumer's image list
//   → the consumer's status is changed behind the stack's back (rejected, with the consumer's credentials)
//   → the drift check `pulumi preview --refresh --expect-no-changes` fails with exit code 7
//   → `pulumi up --refresh` repairs it, the check passes again
//   → both stacks destroyed, the image deleted, OpenStack stopped.
//
// There is no Pulumi CLI here: the engine's part is played by the repository's engine emulator
// (test/engine) over the real dynamic-provider plugin host from @pulumi/pulumi, with the package packed
// and installed from its tarball into a scratch program directory, as users get it. Every step prints
// the `pulumi`/`openstack` command it stands for.
//
//   npm run demo                  exit code 0 when every step went as expected, 1 otherwise
//   npm run demo -- --no-build    do not rebuild dist/ when provider/ or sdk/ is newer
//
// Runs with ts-node (a devDependency; transpile only): Node's own type stripping cannot run the
// emulator's TypeScript (parameter properties), see the "demo" script in package.json.
//
// DEMO_OPENSTACK_PASSWORD (tests only): the local users' password, so that a test can check that the
// transcript never shows it; default: a random one. Nothing here prints a password or a token.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { Engine, EngineRunError, type RunResult, type StackConfig } from "../test/engine/engine";
import { createProgramDir, projectPackage, type ProgramDir } from "../harness/programs";
import { createImage, deleteImage, listImages, listMembersRaw, session, setMemberStatusRaw } from "../harness/images";
import { randomPassword, startOpenStack, type OpenStack } from "../harness/openstack";
import { Transcript, changes, renderRun, table } from "./demo/format";

const REPO = path.resolve(__dirname, "..");
const IMAGE_NAME = "demo-golden-image";
const LABEL = "golden"; // the examples' optional `name`: resources share-golden…, accept-golden
const STACK = "dev";

class DemoFailure extends Error {}

interface Stack {
  /** examples/<name>, as shown to the user. */
  example: string;
  project: string;
  prog: ProgramDir;
  engine: Engine;
  /** `pulumi config set` lines that give this stack its config. */
  configCommands: string[];
  created: boolean;
}

const t = new Transcript();
const started = Date.now();
let step = 0;
let stepTitle = "";
let openstack: OpenStack | undefined;
const stacks: Stack[] = [];
let imageId: string | undefined;
/** What the "for real" commands need, once the demo got that far. */
let forRealIds: { image: string; consumer: string; version: string } | undefined;

function heading(title: string): void {
  stepTitle = title;
  t.heading(++step, title);
}

function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new DemoFailure(what);
}

// --- the Pulumi commands, through the emulator -------------------------------------------------

type PulumiCommand = "up" | "up --refresh" | "preview --refresh --expect-no-changes" | "destroy";

async function pulumi(stack: Stack, command: PulumiCommand, expectedExit: number): Promise<RunResult> {
  const cli: Record<PulumiCommand, string> = {
    up: "pulumi up --yes",
    "up --refresh": "pulumi up --refresh --yes",
    "preview --refresh --expect-no-changes": "pulumi preview --refresh --expect-no-changes",
    destroy: "pulumi destroy --yes",
  };
  t.command(cli[command], stack.example);
  const t0 = Date.now();
  let result: RunResult;
  const program = { file: "index.ts" };
  switch (command) {
    case "up":
      result = await stack.engine.up(program, { allowFailure: true });
      break;
    case "up --refresh":
      result = await stack.engine.up(program, { refresh: true, allowFailure: true });
      break;
    case "preview --refresh --expect-no-changes":
      result = await stack.engine.preview(program, { refresh: true, expectNoChanges: true, allowFailure: true });
      break;
    case "destroy":
      result = await stack.engine.destroy({ allowFailure: true });
      break;
  }
  renderRun(t, result, STACK, Date.now() - t0);
  if (result.exitCode !== expectedExit) {
    if (result.programOutput?.trim()) t.lines(result.programOutput, "  program: ");
    const pluginTail = result.pluginOutput.slice(-20).map((l) => l.text).join("\n");
    if (pluginTail.trim()) t.lines(pluginTail, "  provider: ");
    throw new DemoFailure(`\`${cli[command]}\` in ${stack.example} exited with ${result.exitCode}, expected ${expectedExit}`);
  }
  return result;
}

function configSet(stack: Stack, key: string, value: string | object, pathKey = false): void {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  stack.configCommands.push(`pulumi config set ${pathKey ? `--path '${key}'` : key} ${shown}`);
}

// --- what the consumer sees, straight from Glance ----------------------------------------------

async function showConsumerImages(): Promise<boolean> {
  const os = openstack!;
  t.command("openstack --os-cloud consumer image list");
  const images = await listImages(os.cloudsFile, "consumer");
  trackTokens();
  for (const l of table(["ID", "Name", "Status"], images.map((i) => [i.id, String(i.name ?? ""), i.status]))) t.line(l);
  return images.some((i) => i.id === imageId);
}

async function memberStatus(entry: "producer" | "consumer"): Promise<string | undefined> {
  const r = await listMembersRaw(openstack!.cloudsFile, entry, imageId!);
  trackTokens();
  expect(r.status === 200, `listing the image's members as ${entry} answered ${r.status}`);
  return (r.body?.members ?? []).find((m: { member_id: string }) => m.member_id === openstack!.projects.consumer)?.status;
}

/** The demo's own Keystone tokens (from test/support/images.ts) join the secrets the transcript hides. */
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
  t.line("repairs it. Everything runs on 127.0.0.1 and is removed at the end.");
  t.line();
  const pulumiCli = findOnPath("pulumi");
  if (pulumiCli) {
    t.line(`A pulumi CLI is on PATH (${pulumiCli}). This demo still plays the engine's part itself (no backend, no`);
    t.line("login needed); the commands to run the same steps for real with it are printed at the end.");
  } else {
    t.line("No pulumi CLI on PATH: the engine's part is played by this repository's engine emulator (test/engine)");
    t.line("over the real dynamic-provider plugin host of @pulumi/pulumi. Each step shows the pulumi command it stands for.");
  }
  const scrubbed = scrubOpenStackEnv();
  if (scrubbed.length) t.note(`ignoring ${scrubbed.join(", ")} from your shell: the demo uses only its own local cloud`);

  // 1 --------------------------------------------------------------------------------------------
  heading("Start a local OpenStack (Keystone + Glance)");
  ensureBuilt(!argv.includes("--no-build"));
  t.command("bash scripts/openstack.sh up   # free loopback ports, temporary state dir");
  const password = process.env.DEMO_OPENSTACK_PASSWORD || randomPassword();
  t.addSecret(password);
  const t0 = Date.now();
  openstack = await startOpenStack({ password, adminPassword: password });
  const os = openstack;
  t.line(`  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: keystone ${os.authUrl}, glance ${os.imageUrl}`);
  t.line(`  clouds.yaml ${os.cloudsFile}: producer (project ${os.projects.producer}), consumer (project ${os.projects.consumer})`);
  t.command(`export OS_CLIENT_CONFIG_FILE=${os.cloudsFile}`);

  // 2 --------------------------------------------------------------------------------------------
  heading("Producer: create an image to share");
  t.command(`openstack --os-cloud producer image create --shared --disk-format raw --container-format bare ${IMAGE_NAME}`);
  imageId = await createImage(os.cloudsFile, "producer", { visibility: "shared", name: IMAGE_NAME });
  trackTokens();
  for (const l of table(["Field", "Value"], [["id", imageId], ["name", IMAGE_NAME], ["owner", os.projects.producer], ["visibility", "shared"]])) t.line(l);

  // 3 --------------------------------------------------------------------------------------------
  heading("Install pulumi-image-members as users get it");
  t.command("npm pack && npm install ./pulumi-image-members-<version>.tgz @pulumi/pulumi   # in a copy of each example");
  const t3 = Date.now();
  for (const example of ["producer", "consumer"]) {
    const prog = await createProgramDir(projectPackage(), { copyFrom: path.join(REPO, "examples", example), label: `demo-${example}` });
    const project = projectName(example);
    const config: StackConfig = {};
    const engine = new Engine({ programDir: prog, project, stack: STACK, config, env: { OS_CLIENT_CONFIG_FILE: os.cloudsFile } });
    stacks.push({ example: `examples/${example}`, project, prog, engine, configCommands: [], created: false });
  }
  const [producer, consumer] = stacks;
  const tpl = producer.prog.template;
  t.line(`  ${tpl.pkg.name}@${tpl.pkg.version} (${path.relative(REPO, tpl.pkg.tarball)}) with @pulumi/pulumi@${tpl.pulumiVersion}`);
  t.line(`  ${((Date.now() - t3) / 1000).toFixed(1)} s${tpl.buildMs ? " (packed and installed now)" : " (reused an install of the same package content)"}`);

  // 4 --------------------------------------------------------------------------------------------
  heading("Producer stack: share the image with the consumer project");
  configSet(producer, "cloud", "producer");
  configSet(producer, "shares[0].name", LABEL, true);
  configSet(producer, "shares[0].imageId", imageId, true);
  configSet(producer, "shares[0].projectIds[0]", os.projects.consumer, true);
  producer.engine.config = {
    [`${producer.project}:cloud`]: "producer",
    [`${producer.project}:shares`]: JSON.stringify([{ name: LABEL, imageId, projectIds: [os.projects.consumer] }]),
  };
  t.command(`pulumi stack init ${STACK}`, producer.example);
  for (const c of producer.configCommands) t.command(c, producer.example);
  const up1 = await pulumi(producer, "up", 0);
  producer.created = true;
  const shareName = `share-${LABEL}-${os.projects.consumer}`;
  expect(
    changes(up1).some((s) => s.op === "create" && s.type === "pulumi-nodejs:dynamic/glance:ImageMember" && s.name === shareName),
    `the producer's up did not create ImageMember ${shareName}`,
  );
  t.line();
  t.command(`openstack --os-cloud producer image member list ${imageId}`);
  const pending = await memberStatus("producer");
  for (const l of table(["Image ID", "Member ID", "Status"], pending ? [[imageId, os.projects.consumer, pending]] : [])) t.line(l);
  expect(pending === "pending", `after the producer's up the consumer's membership is ${pending ?? "missing"}, expected pending`);

  // 5 --------------------------------------------------------------------------------------------
  heading("Consumer stack: accept the share");
  t.note("the share is pending: the image is not in the consumer's image list yet");
  expect(!(await showConsumerImages()), "the consumer lists the image before accepting it");
  configSet(consumer, "cloud", "consumer");
  configSet(consumer, "images[0].name", LABEL, true);
  configSet(consumer, "images[0].imageId", imageId, true);
  consumer.engine.config = {
    [`${consumer.project}:cloud`]: "consumer",
    [`${consumer.project}:images`]: JSON.stringify([{ name: LABEL, imageId }]),
  };
  t.line();
  t.command(`pulumi stack init ${STACK}`, consumer.example);
  for (const c of consumer.configCommands) t.command(c, consumer.example);
  const up2 = await pulumi(consumer, "up", 0);
  consumer.created = true;
  expect(
    changes(up2).some((s) => s.op === "create" && s.type === "pulumi-nodejs:dynamic/glance:MemberAcceptance" && s.name === `accept-${LABEL}`),
    `the consumer's up did not create MemberAcceptance accept-${LABEL}`,
  );
  expect(JSON.stringify(up2.outputs.accepted) === JSON.stringify([imageId]), `the consumer's output accepted is ${JSON.stringify(up2.outputs.accepted)}`);
  t.line();
  expect(await showConsumerImages(), "the consumer does not list the image after accepting it");
  t.note(`${IMAGE_NAME} is in the consumer's list now: accepted`);

  // 6 --------------------------------------------------------------------------------------------
  heading("Drift check (what CI runs on a schedule): nothing drifted");
  await pulumi(producer, "preview --refresh --expect-no-changes", 0);
  t.line();
  await pulumi(consumer, "preview --refresh --expect-no-changes", 0);

  // 7 --------------------------------------------------------------------------------------------
  heading("Behind the consumer stack's back: someone rejects the share");
  t.command(`openstack --os-cloud consumer image set --reject ${imageId}`);
  const put = await setMemberStatusRaw(os.cloudsFile, "consumer", imageId, os.projects.consumer, "rejected");
  trackTokens();
  expect(put.status === 200, `setting the consumer's status to rejected answered ${put.status}`);
  t.line(`  member ${os.projects.consumer} of ${imageId}: status ${put.body?.status}`);
  t.line();
  expect(!(await showConsumerImages()), "the consumer still lists the image after rejecting it");
  t.note(`${IMAGE_NAME} is gone from the consumer's list: the stack declares accepted, Glance says rejected`);

  // 8 --------------------------------------------------------------------------------------------
  heading("Drift check: the consumer's stack fails with exit code 7");
  const drift = await pulumi(consumer, "preview --refresh --expect-no-changes", 7);
  expect(
    changes(drift).some((s) => s.op === "update" && s.name === `accept-${LABEL}` && s.diffKeys.includes("status")),
    `the drift check did not propose updating accept-${LABEL}'s status`,
  );
  t.note("drift: the consumer's status changed outside its stack");
  t.line();
  await pulumi(producer, "preview --refresh --expect-no-changes", 0);
  t.note("not drift for the producer: accepting or rejecting is the consumer's decision");

  // 9 --------------------------------------------------------------------------------------------
  heading("Repair: pulumi up --refresh restores what the code declares");
  const repair = await pulumi(consumer, "up --refresh", 0);
  expect(
    changes(repair).some((s) => s.op === "update" && s.name === `accept-${LABEL}`),
    `\`pulumi up --refresh\` did not update accept-${LABEL}`,
  );
  const repaired = await memberStatus("consumer");
  expect(repaired === "accepted", `after the repair the consumer's status is ${repaired ?? "missing"}, expected accepted`);

  // 10 -------------------------------------------------------------------------------------------
  heading("Drift check passes again");
  await pulumi(consumer, "preview --refresh --expect-no-changes", 0);
  t.line();
  expect(await showConsumerImages(), "the consumer does not list the image after the repair");

  // 11 -------------------------------------------------------------------------------------------
  heading("Clean up");
  await pulumi(consumer, "destroy", 0);
  consumer.created = false;
  t.note("a consumer cannot delete a membership: destroying MemberAcceptance sets statusOnDelete (rejected)");
  t.line();
  await pulumi(producer, "destroy", 0);
  producer.created = false;
  const left = await memberStatus("producer");
  expect(left === undefined, `after the producer's destroy the consumer is still a member (${left})`);
  t.line();
  t.command(`openstack --os-cloud producer image delete ${imageId}`);
  await deleteImage(os.cloudsFile, "producer", imageId);
  forRealIds = { image: imageId, consumer: os.projects.consumer, version: tpl.pkg.version };
  imageId = undefined;
}

/** Always runs: stacks the demo created are destroyed only on success (the servers go anyway). */
async function cleanup(): Promise<string[]> {
  const problems: string[] = [];
  for (const s of stacks) {
    try {
      s.prog.remove();
    } catch (e) {
      problems.push(`removing ${s.prog.dir}: ${(e as Error).message}`);
    }
  }
  if (openstack) {
    t.command("bash scripts/openstack.sh down");
    try {
      await openstack.stop();
      t.line("  stopped; state dir removed");
    } catch (e) {
      problems.push(`stopping OpenStack: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** With a pulumi CLI on PATH: the same story as commands to paste, against a cloud of your choice. */
function forReal(ids: { image: string; consumer: string; version: string }): void {
  if (!findOnPath("pulumi") || stacks.length < 2) return;
  const vars = (c: string) => c.split(ids.image).join('"$IMAGE"').split(ids.consumer).join('"$CONSUMER"');
  const [producer, consumer] = stacks;
  const inStack = (s: Stack, cmds: string[]) => [
    `cd ${s.example} && npm install ../../pulumi-image-members-${ids.version}.tgz && pulumi stack init ${STACK}`,
    ...s.configCommands.map(vars),
    ...cmds,
    "cd ../..",
  ];
  const lines = [
    "# a cloud with clouds.yaml entries producer and consumer: this repository's local one, or your own",
    "bash scripts/openstack.sh up && export OS_CLIENT_CONFIG_FILE=$PWD/.state/openstack/clouds.yaml",
    "export PULUMI_CONFIG_PASSPHRASE=<choose one> && pulumi login --local",
    "npm pack",
    `IMAGE=$(openstack --os-cloud producer image create --shared --disk-format raw --container-format bare -f value -c id ${IMAGE_NAME})`,
    "CONSUMER=$(openstack --os-cloud consumer token issue -f value -c project_id)",
    ...inStack(producer, ["pulumi up --yes"]),
    ...inStack(consumer, [
      "pulumi up --yes",
      'openstack --os-cloud consumer image set --reject "$IMAGE"',
      'pulumi preview --refresh --expect-no-changes; echo "exit code $?"   # 7: drift',
      "pulumi up --refresh --yes",
      'pulumi preview --refresh --expect-no-changes; echo "exit code $?"   # 0',
      "pulumi destroy --yes",
    ]),
    `cd ${producer.example} && pulumi destroy --yes && cd ../..`,
    'openstack --os-cloud producer image delete "$IMAGE"',
  ];
  t.line();
  t.line("To run the same steps for real with your pulumi CLI:");
  for (const l of lines) t.line(`  ${l}`);
}

async function run(): Promise<number> {
  let failure: unknown;
  const onSignal = (signal: NodeJS.Signals) => {
    t.line(`\ninterrupted (${signal}): stopping OpenStack`);
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    failure = e;
  }
  const problems = await cleanup();
  if (!failure && forRealIds) forReal(forRealIds);
  // every token the demo itself obtained is known now: check the whole transcript once more
  trackTokens();
  await new Promise((r) => setTimeout(r, 10));
  t.rescan();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  t.line();
  if (failure) {
    const why = failure instanceof DemoFailure ? failure.message : failure instanceof EngineRunError ? failure.result.message : (failure as Error)?.stack ?? String(failure);
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
    t.line(`demo FAILED: a secret reached the transcript ${t.leaks} time(s) (shown as [secret])`);
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
