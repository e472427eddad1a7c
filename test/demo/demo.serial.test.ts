// `npm run demo` (scripts/demo.ts) end to end. The demo starts its own Keystone + Glance, hence the
// *.serial.test.ts name (at most this instance and the suite's share the machine) and
// requireLocalInstance: against an external cloud this file fails with a message, never skips.
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../harness/programs";
import { requireLocalInstance, testCloud } from "../support/cloud";
import { randomPassword } from "../../harness/openstack";

interface Finished {
  code: number | null;
  out: string;
  ms: number;
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
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, ms: Date.now() - started }));
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

describe("npm run demo", () => {
  const timings: string[] = [];
  afterAll(() => console.log(timings.join("\n")));

  it("runs the whole story on its own OpenStack and exits 0; the transcript reads like Pulumi's and shows no secret", async () => {
    requireLocalInstance("the demo test (the demo starts its own OpenStack)");
    const password = randomPassword();
    const r = await npmRunDemo(["--no-build"], { DEMO_OPENSTACK_PASSWORD: password });
    timings.push(`npm run demo: ${(r.ms / 1000).toFixed(1)} s wall`);
    const out = r.out;
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/demo finished in [\d.]+ s: every step went as expected\.\n$/);

    // the producer shares, the consumer accepts (resource names with Pulumi's marks, a summary per step)
    const share = section(out, /^=== 4\. Producer stack/);
    expect(share).toContain("examples/producer $ pulumi up --yes");
    expect(share).toMatch(/^ {4}\+ pulumi-nodejs:dynamic\/glance:ImageMember share-golden-[0-9a-f]{32} created$/m);
    expect(share).toMatch(/^Resources:\n {4}\+ 3 created$/m);
    const accept = section(out, /^=== 5\. Consumer stack/);
    expect(accept).toMatch(/^ {4}\+ pulumi-nodejs:dynamic\/glance:MemberAcceptance accept-golden created$/m);
    expect(accept).toMatch(/^\| [0-9a-f-]{36} \| demo-golden-image \| queued \|$/m); // in the consumer's list after accepting
    expect(accept).toMatch(/^ {4}accepted: \["[0-9a-f-]{36}"\]$/m);

    // nothing drifted yet
    const clean = section(out, /^=== 6\. Drift check/);
    expect(clean.match(/pulumi preview --refresh --expect-no-changes/g)).toHaveLength(2);
    expect(clean).not.toMatch(/exit code [^0]/);

    // the status changed behind the consumer's back (with the consumer's credentials)
    const behind = section(out, /^=== 7\. Behind the consumer/);
    expect(behind).toMatch(/openstack --os-cloud consumer image set --reject [0-9a-f-]{36}/);
    expect(behind).toMatch(/status rejected/);
    expect(behind).not.toContain("demo-golden-image |");

    // the drift check fails with exit code 7 for the consumer, not for the producer
    const drift = section(out, /^=== 8\. Drift check/);
    expect(drift).toMatch(/^examples\/consumer \$ pulumi preview --refresh --expect-no-changes$/m);
    expect(drift).toMatch(/^ {4}~ pulumi-nodejs:dynamic\/glance:MemberAcceptance accept-golden update \[diff: .*~status.*\]$/m);
    expect(drift).toMatch(/^ {4}~ 1 to update$/m);
    expect(drift).toContain("error: no changes were expected but changes were proposed");
    expect(drift).toMatch(/\(exit code 7\)\n[\s\S]*examples\/producer \$ pulumi preview --refresh --expect-no-changes[\s\S]*\(exit code 0\)/);

    // the repair, and the check passing again
    const repair = section(out, /^=== 9\. Repair/);
    expect(repair).toContain("examples/consumer $ pulumi up --refresh --yes");
    expect(repair).toMatch(/^ {4}~ pulumi-nodejs:dynamic\/glance:MemberAcceptance accept-golden updated/m);
    expect(repair).toMatch(/^ {4}~ 1 updated$/m);
    const again = section(out, /^=== 10\. Drift check passes/);
    expect(again).toContain("(exit code 0)");
    expect(again).toContain("| demo-golden-image |");

    // cleaned up: both stacks destroyed, OpenStack stopped
    const cleanup = section(out, /^=== 11\. Clean up/);
    expect(cleanup).toMatch(/^ {4}- pulumi-nodejs:dynamic\/glance:MemberAcceptance accept-golden deleted$/m);
    expect(cleanup).toMatch(/^ {4}- pulumi-nodejs:dynamic\/glance:ImageMember share-golden-[0-9a-f]{32} deleted$/m);
    expect(cleanup).toContain("$ bash scripts/openstack.sh down");
    expect(cleanup).toContain("stopped; state dir removed");

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
    expect(r.out).toContain("unknown argument --bogus");
  }, 60_000);
});
