// `npm run demo` (demo/main.ts) end to end, with the real Pulumi CLI. The demo starts its own
// Keystone + Glance, hence the *.serial.test.ts name (at most this instance and the suite's share the
// machine) and requireLocalInstance: against an external cloud this file fails with a message, never
// skips. The transcript is checked line by line against what the CLI prints.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { randomPassword } from "../../dev/harness/openstack";
import { type ProcessSample, ProcessWatcher } from "../../dev/harness/processes";
import { REPO_ROOT, WORK_DIR } from "../../dev/harness/programs";
import { languageHosts, pulumiCli } from "../../dev/harness/pulumi";
import { requireLocalInstance, testCloud } from "../support/cloud";

interface Finished {
  code: number | null;
  out: string;
  ms: number;
  /** Every process the demo started (read from /proc while it ran). */
  processes: ProcessSample[];
}

/** `npm run demo -- <args>` from the repository, as a user types it (dist/ was built by `npm test`). */
function npmRunDemo(args: string[], env: Record<string, string | undefined> = {}): Promise<Finished> {
  const started = Date.now();
  const childEnv: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: undefined, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "--silent", "demo", "--", ...args], {
      cwd: REPO_ROOT,
      env: childEnv as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const watcher = child.pid ? new ProcessWatcher(child.pid) : undefined;
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      watcher?.stop();
      resolve({ code, out, ms: Date.now() - started, processes: watcher?.processes() ?? [] });
    });
  });
}

/** The transcript from the line matching `heading` up to the next step heading. */
function section(out: string, heading: RegExp): string {
  const lines = out.split("\n");
  const start = lines.findIndex((l) => heading.test(l));
  expect(start, `no heading ${heading} in the transcript`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && /^=== \d+\. /.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** One command's block: from its `<example> $ <command>` line through its `(exit code N)` line. */
function blocks(text: string, example: string, command: string): string[] {
  const found: string[] = [];
  const lines = text.split("\n");
  lines.forEach((l, i) => {
    if (l !== `${example} $ ${command}`) return;
    const end = lines.findIndex((m, j) => j > i && /^\(exit code \d+\)$/.test(m));
    expect(end, `\`${command}\` in ${example} has no exit code line`).toBeGreaterThan(i);
    found.push(lines.slice(i, end + 1).join("\n"));
  });
  return found;
}

/** `<type> <name>` of each resource line of a command's display (before its Outputs/Resources). */
function resourceLines(block: string): string[] {
  const display = block.split(/^(?:Outputs|Resources):$/m)[0];
  return [...display.matchAll(/^ (?:[-+~]{1,2}| ) +(\S+:\S*:\S+) (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const SHARE = "pulumi-nodejs:dynamic/glance:ImageShare";
const ACCEPTANCE = "pulumi-nodejs:dynamic/glance:MemberAcceptance";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const PROJECT = "[0-9a-f]{32}";
const TOOK = "\\([\\d.]+m?s\\)";
const PREVIEW = "pulumi preview --refresh --expect-no-changes";

describe("npm run demo", () => {
  const timings: string[] = [];
  afterAll(() => console.log(timings.join("\n")));

  it("runs the whole story with the real Pulumi CLI on its own OpenStack and exits 0; the transcript is the CLI's and shows no secret", async () => {
    requireLocalInstance("the demo test (the demo starts its own OpenStack)");
    const cli = pulumiCli();
    const password = randomPassword();
    const r = await npmRunDemo(["--no-build"], { DEMO_OPENSTACK_PASSWORD: password });
    timings.push(`npm run demo: ${(r.ms / 1000).toFixed(1)} s wall`);
    const out = r.out;
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/demo finished in [\d.]+ s: every step went as expected\.\n$/);
    expect(out).not.toContain("demo FAILED");

    // first the CLI: where it comes from, then `pulumi version`, before anything runs
    const first = section(out, /^=== 1\. The Pulumi CLI/);
    expect(out.indexOf("=== 1. The Pulumi CLI")).toBeLessThan(out.indexOf("=== 2. "));
    expect(first).toContain("$ npm run --silent pulumi:bin");
    expect(first).toContain(`  ${cli.binDir}  (`);
    expect(first).toMatch(/\((the pulumi on PATH|built (now|earlier) from Go modules, cached outside the clone)\)$/m);
    expect(first).toContain(`$ pulumi version\n${cli.version}\n`);
    expect(cli.version).toMatch(/^v3\.\d+\.\d+/);
    expect(first).toContain(`  ${cli.languageHost}  (the Node.js language host: `);

    // every pulumi up / preview / destroy ran the example's program under that language host, as a
    // user's does: at least one host per command, none given a program served elsewhere (--client)
    const runs = out.split("\n").filter((l) => /^examples\/\w+ \$ pulumi (up|preview|refresh|destroy)\b/.test(l));
    expect(runs.length).toBeGreaterThanOrEqual(6);
    const hosts = languageHosts(r.processes);
    expect(hosts.length, r.processes.map((p) => p.command).join("\n")).toBeGreaterThanOrEqual(runs.length);
    for (const h of hosts) expect(h.command.split(" ")[0]).toBe(cli.languageHost);
    expect(r.processes.filter((p) => /^\S*pulumi .*--client[= ]/.test(p.command))).toEqual([]);

    // the producer shares: its config as typed, then the CLI's own display of `pulumi up`
    const share = section(out, /^=== 5\. Producer stack/);
    expect(share).toContain("examples/producer $ pulumi stack init dev");
    expect(share).toContain("examples/producer $ pulumi config set cloud producer");
    expect(share).toMatch(new RegExp(`^examples/producer \\$ pulumi config set --path 'shares\\[0\\]\\.imageId' ${UUID}$`, "m"));
    expect(share).toMatch(
      new RegExp(`^examples/producer \\$ pulumi config set --path 'shares\\[0\\]\\.projectIds\\[0\\]' ${PROJECT}$`, "m"),
    );
    const [up1, ...moreUp1] = blocks(share, "examples/producer", "pulumi up --yes --skip-preview");
    expect(moreUp1).toHaveLength(0);
    expect(up1).toMatch(/^Updating \(dev\):$/m);
    expect(up1).toMatch(new RegExp(`^ \\+  ${SHARE} share-golden created ${TOOK}$`, "m"));
    expect(up1).toMatch(/^ \+ {2}pulumi:pulumi:Stack image-members-producer-dev created /m);
    expect(up1).toMatch(/^Resources:\n {4}\+ 2 created$/m);
    expect(up1).toMatch(new RegExp(`^Outputs:\\n {4}sharedWith: \\{\\n {8}${UUID}: \\[\\n {12}\\[0\\]: "${PROJECT}"$`, "m"));
    expect(up1).not.toMatch(/^@ /m); // progress lines left out
    expect(resourceLines(up1)).toEqual([...new Set(resourceLines(up1))]); // one line per resource, its last
    expect(up1).toMatch(/\(exit code 0\)$/);
    expect(share).toMatch(new RegExp(`^\\| ${UUID} \\| ${PROJECT} \\| pending \\|$`, "m"));

    // the consumer accepts: the image appears in its list
    const accept = section(out, /^=== 6\. Consumer stack/);
    expect(accept.indexOf("| demo-golden-image |")).toBeGreaterThan(accept.indexOf("examples/consumer $ pulumi up"));
    const [up2] = blocks(accept, "examples/consumer", "pulumi up --yes --skip-preview");
    expect(up2).toMatch(new RegExp(`^ \\+  ${ACCEPTANCE} accept-golden created ${TOOK}$`, "m"));
    expect(up2).toMatch(/^Resources:\n {4}\+ 2 created$/m);
    expect(up2).toMatch(new RegExp(`^ {4}accepted: \\[\\n {8}\\[0\\]: "${UUID}"\\n {4}\\]$`, "m"));
    expect(up2).toMatch(/\(exit code 0\)$/);
    expect(accept).toMatch(new RegExp(`^\\| ${UUID} \\| demo-golden-image \\| queued \\|$`, "m"));

    // nothing drifted yet: both checks pass, nothing proposed
    const clean = section(out, /^=== 7\. Drift check/);
    const cleanChecks = [...blocks(clean, "examples/producer", PREVIEW), ...blocks(clean, "examples/consumer", PREVIEW)];
    expect(cleanChecks).toHaveLength(2);
    for (const b of cleanChecks) {
      expect(b).toMatch(/^Previewing update \(dev\):$/m);
      expect(b).toMatch(/\(exit code 0\)$/);
      expect(b).not.toMatch(/^ [+~-] /m);
      expect(b).not.toContain("error:");
    }
    expect(cleanChecks[0]).toMatch(/^Resources:\n {4}2 unchanged$/m);
    expect(cleanChecks[1]).toMatch(/^Resources:\n {4}2 unchanged$/m);
    expect(clean).not.toMatch(/exit code [^0]/);

    // the status changed behind the consumer's back (with the consumer's credentials)
    const behind = section(out, /^=== 8\. Behind the consumer/);
    expect(behind).toMatch(new RegExp(`openstack --os-cloud consumer image set --reject ${UUID}`));
    expect(behind).toMatch(/status rejected/);
    expect(behind).not.toContain("demo-golden-image |");

    // the drift check fails with exit code 7 for the consumer, naming the resource; not for the producer
    const drift = section(out, /^=== 9\. Drift check/);
    const [failing] = blocks(drift, "examples/consumer", PREVIEW);
    expect(failing).toMatch(new RegExp(`^ ~  ${ACCEPTANCE} accept-golden update \\[diff: [^\\]]*status[^\\]]*\\]$`, "m"));
    expect(failing).toMatch(/^Resources:\n {4}~ 1 to update\n {4}1 unchanged$/m);
    expect(failing).toContain("\nerror: no changes were expected for preview but changes were proposed\n(exit code 7)");
    const [producerCheck] = blocks(drift, "examples/producer", PREVIEW);
    expect(producerCheck).toMatch(/^Resources:\n {4}2 unchanged$/m);
    expect(producerCheck).toMatch(/\(exit code 0\)$/);
    expect(drift.indexOf(failing)).toBeLessThan(drift.indexOf(producerCheck));

    // the repair, and the check passing again
    const repair = section(out, /^=== 10\. Repair/);
    const [fix] = blocks(repair, "examples/consumer", "pulumi up --refresh --yes --skip-preview");
    expect(fix).toMatch(new RegExp(`^ ~  ${ACCEPTANCE} accept-golden updated ${TOOK} \\[diff: [^\\]]*status[^\\]]*\\]$`, "m"));
    expect(fix).toMatch(/^ {4}~ 1 updated$/m);
    expect(fix).toMatch(/\(exit code 0\)$/);
    const again = section(out, /^=== 11\. Drift check passes/);
    const [passing] = blocks(again, "examples/consumer", PREVIEW);
    expect(passing).toMatch(/^Resources:\n {4}2 unchanged$/m);
    expect(passing).toMatch(/\(exit code 0\)$/);
    expect(again).toContain("| demo-golden-image |");

    // cleaned up: both stacks destroyed and removed, OpenStack stopped, no copy of an example left
    const cleanup = section(out, /^=== 12\. Clean up/);
    const [down2] = blocks(cleanup, "examples/consumer", "pulumi destroy --yes --skip-preview");
    expect(down2).toMatch(new RegExp(`^ -  ${ACCEPTANCE} accept-golden deleted ${TOOK}$`, "m"));
    expect(down2).toMatch(/^Resources:\n {4}- 2 deleted$/m);
    const [down1] = blocks(cleanup, "examples/producer", "pulumi destroy --yes --skip-preview");
    expect(down1).toMatch(new RegExp(`^ -  ${SHARE} share-golden deleted ${TOOK}$`, "m"));
    expect(down1).toMatch(/^Resources:\n {4}- 2 deleted$/m);
    for (const example of ["examples/consumer", "examples/producer"]) expect(cleanup).toContain(`${example} $ pulumi stack rm --yes dev`);
    expect(cleanup).toContain("$ bash dev/rig/openstack.sh down");
    expect(cleanup).toContain("stopped; state dir removed");
    const left = fs
      .readdirSync(path.join(WORK_DIR, "programs"))
      .filter((d) => /^demo-(producer|consumer)-\d+-\d+$/.test(d) && !isAlive(Number(d.split("-")[2])));
    expect(left).toEqual([]);

    // exit codes: 7 once (the drift), every other command 0
    const codes = [...out.matchAll(/^\(exit code (\d+)\)$/gm)].map((m) => Number(m[1]));
    expect(codes).toEqual([0, 0, 0, 0, 7, 0, 0, 0, 0, 0]);

    // no secret: the demo's password, the suite's, a Keystone (fernet) token, a redaction
    expect(out).not.toContain(password);
    for (const s of testCloud().secrets) expect(out).not.toContain(s);
    expect(out).not.toMatch(/gAAAAA[A-Za-z0-9_-]{20,}/);
    expect(out).not.toMatch(/password\s*[:=]\s*\S/i);
    expect(out).not.toContain("[secret]");
  }, 600_000);

  it("fails with a clear message and a non-zero exit code when something is wrong", async () => {
    const r = await npmRunDemo(["--no-build", "--bogus"]);
    timings.push(`npm run demo -- --bogus: ${(r.ms / 1000).toFixed(1)} s wall`);
    expect(r.code).toBe(1);
    expect(r.out).toContain("demo FAILED before its first step");
    expect(r.out).toContain("unknown argument --bogus (usage: npm run demo [-- --no-build])");
    // nothing started: no CLI run, no OpenStack
    expect(r.out).not.toMatch(/^=== \d+\. /m);
    expect(r.out).not.toContain("$ pulumi");
    expect(r.out).not.toContain("dev/rig/openstack.sh");
  }, 60_000);
});
