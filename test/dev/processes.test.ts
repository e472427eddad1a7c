// dev/harness/processes.ts stops what a command left running once it is gone (what a killed
// `pulumi up` leaves: its plugins, each in its own process group), with a shell standing in for the
// CLI: `set -m` starts each background job in a process group of its own, in the shell's session,
// as the CLI starts its plugins.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { ProcessWatcher, stillRunning } from "../../dev/harness/processes";

/** A node process that runs until killed. */
const runner = () => `node -e 'setInterval(() => {}, 1000)'`;
/** One that SIGTERM does not stop, once it has written the file `ready`. */
const termIgnorer = (ready: string) =>
  `node -e 'process.on("SIGTERM", () => {}); require("fs").writeFileSync(process.argv[1], ""); setInterval(() => {}, 1000)' ${ready}`;

const cmdline = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return undefined;
  }
};

/** What each test started: the stand-in's process group, and its jobs' pids. */
const started: { root: ChildProcess; jobs: number[] }[] = [];
afterEach(() => {
  // what a failing test leaves (stopping the jobs is the code under test's job, so not trusted here)
  for (const { root, jobs } of started.splice(0)) {
    if (root.exitCode === null && root.signalCode === null) process.kill(-root.pid!, "SIGKILL");
    // a pid whose command line is no runner's is no longer one
    for (const pid of jobs) if (cmdline(pid)?.includes("setInterval(() => {}, 1000)")) process.kill(pid, "SIGKILL");
  }
});

/** Starts the stand-in (its own session and process group, as spawnCli starts the CLI), which starts
 *  `jobs` and prints their pids. */
async function standIn(jobs: string[]): Promise<{ root: ChildProcess; jobPids: number[]; closed: Promise<void> }> {
  // the jobs' output goes elsewhere: holding the stand-in's stdout open, they would keep it from closing
  const script = `set -m\n${jobs.map((j) => `${j} >/dev/null &\necho $!`).join("\n")}\nwait`;
  const root = spawn("bash", ["-c", script], { detached: true, stdio: ["ignore", "pipe", "inherit"] });
  const record = { root, jobs: [] as number[] };
  started.push(record);
  const closed = new Promise<void>((resolve) => root.on("close", () => resolve()));
  let out = "";
  const jobPids = await new Promise<number[]>((resolve) =>
    root.stdout!.on("data", (d) => {
      out += d;
      const pids = out.split("\n").filter(Boolean).map(Number);
      if (pids.length === jobs.length) resolve(pids);
    }),
  );
  record.jobs = jobPids;
  return { root, jobPids, closed };
}

describe("ProcessWatcher.stopLeftovers", () => {
  it("stops what a command killed with its process group left running, and nothing it ended itself", async () => {
    const { root, jobPids, closed } = await standIn([runner(), runner(), "sleep 0.2"]);
    const watcher = new ProcessWatcher(root.pid!, 10);
    // every job sampled, the short one ended
    await expect
      .poll(() => {
        watcher.sample();
        return watcher.processes().filter((p) => jobPids.includes(p.pid)).length;
      })
      .toBe(3);
    await expect.poll(() => stillRunning(watcher.processes()).length).toBe(2); // the two runners
    process.kill(-root.pid!, "SIGKILL");
    await closed;
    expect(
      stillRunning(watcher.processes())
        .map((p) => p.pid)
        .sort(),
    ).toEqual(jobPids.slice(0, 2).sort());

    const stopped = await watcher.stopLeftovers();
    expect(stopped.map((p) => p.pid).sort()).toEqual(jobPids.slice(0, 2).sort());
    expect(stillRunning(watcher.processes())).toEqual([]);
  });

  it("finds, by the command's session, a process started after the last sample", async () => {
    const { root, jobPids, closed } = await standIn([runner()]);
    const watcher = new ProcessWatcher(root.pid!, 3_600_000); // no periodic sample in this test
    process.kill(-root.pid!, "SIGKILL");
    await closed;
    expect(watcher.processes()).toEqual([]);
    const stopped = await watcher.stopLeftovers();
    expect(stopped.map((p) => p.pid)).toEqual(jobPids);
    expect(stillRunning(stopped)).toEqual([]);
  });

  it("kills what SIGTERM does not stop, after the grace period", async () => {
    const ready = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "processes-test-")), "ready");
    onTestFinished(() => fs.rmSync(path.dirname(ready), { recursive: true, force: true }));
    const { root, jobPids, closed } = await standIn([termIgnorer(ready)]);
    const watcher = new ProcessWatcher(root.pid!, 10);
    // its handler is on once it wrote the file (node catches SIGTERM from the start, to end as SIGTERM does)
    await expect.poll(() => fs.existsSync(ready)).toBe(true);
    process.kill(-root.pid!, "SIGKILL");
    await closed;
    const t0 = Date.now();
    const stopped = await watcher.stopLeftovers(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(stopped.map((p) => p.pid)).toEqual(jobPids);
    expect(stillRunning(stopped)).toEqual([]);
  });

  it("a pid is the process seen only while its start time is the same", async () => {
    const { root, jobPids } = await standIn([runner()]);
    const watcher = new ProcessWatcher(root.pid!, 10);
    await expect.poll(() => watcher.processes().some((p) => p.pid === jobPids[0])).toBe(true);
    const seen = watcher.processes().find((p) => p.pid === jobPids[0])!;
    expect(stillRunning([seen])).toEqual([seen]);
    // the same pid with another start time: a later process that got the pid, never signalled
    expect(stillRunning([{ ...seen, startTicks: seen.startTicks - 1 }])).toEqual([]);
    process.kill(-root.pid!, "SIGKILL");
    await watcher.stopLeftovers();
    expect(stillRunning([seen])).toEqual([]);
  });
});
