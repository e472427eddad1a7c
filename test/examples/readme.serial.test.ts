// README's snippets as a new user runs them: each TypeScript block marked `<!-- snippet: NAME -->` is
// the index.ts of its own project (the package installed from its tarball, examples/producer's
// tsconfig.json and package.json), compiled with `tsc --noEmit`, then run with `pulumi config set` as
// README shows and a plain `pulumi up` through the real CLI and its Node.js language host. On a rig of
// its own: the AcceptShares snippet answers every `golden-*` image the producer shares with the
// consumer, which would touch the images of tests running beside it on the shared rig.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMemberRaw, listMembersRaw } from "../../dev/harness/images";
import { type OpenStack, startOpenStack } from "../../dev/harness/openstack";
import { createProgramDir, type ProgramDir, projectPackage, REPO_ROOT } from "../../dev/harness/programs";
import { languageHosts, PulumiStack, type StackConfig } from "../../dev/harness/pulumi";
import { requireLocalInstance } from "../support/cloud";
import { createTestImage, deleteTestImages } from "../support/images";

/** README's marked snippets, by name. */
export function readmeSnippets(markdown: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of markdown.matchAll(/<!-- snippet: ([\w-]+) -->\s*\n```ts\n([\s\S]*?)\n```/g)) out[m[1]] = `${m[2]}\n`;
  return out;
}

const README = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const snippets = readmeSnippets(README);
const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

describe("README's snippets, compiled and run through the real CLI", () => {
  let os: OpenStack | undefined;
  const dirs: ProgramDir[] = [];
  const stacks: PulumiStack[] = [];
  let image: string;
  let golden: string;

  /** A project whose index.ts is the snippet, and a stack of it with `config`. */
  async function project(name: string, config: StackConfig): Promise<PulumiStack> {
    const dir = await createProgramDir(projectPackage(), {
      copyFrom: path.join(REPO_ROOT, "examples", "producer"),
      label: `readme-${name}`,
      project: `readme-${name}`,
      files: { "index.ts": snippets[name] },
    });
    dirs.push(dir);
    execFileSync(process.execPath, [TSC, "--noEmit", "-p", path.join(dir.dir, "tsconfig.json")], { encoding: "utf8" });
    const stack = await PulumiStack.create({
      programDir: dir,
      project: `readme-${name}`,
      env: { OS_CLIENT_CONFIG_FILE: os!.cloudsFile },
      config,
    });
    stacks.push(stack);
    return stack;
  }

  const status = async (imageId: string) => {
    const r = await listMembersRaw(os!.cloudsFile, "producer", imageId);
    expect(r.status).toBe(200);
    return (r.body.members as { member_id: string; status: string }[]).find((m) => m.member_id === os!.projects.consumer)?.status;
  };

  beforeAll(async () => {
    requireLocalInstance("README's snippets (the AcceptShares one answers every golden-* share: a rig of its own)");
    os = await startOpenStack();
    image = await createTestImage(os.cloudsFile, "producer", { visibility: "shared", name: "readme-image" }, "file");
    golden = await createTestImage(os.cloudsFile, "producer", { visibility: "shared", name: "golden-readme" }, "file");
  }, 300_000);

  afterAll(async () => {
    for (const s of stacks.reverse()) await s.destroy({ allowFailure: true }).catch(() => undefined);
    for (const d of dirs) d.remove();
    await deleteTestImages(); // before the instance they live in goes
    await os?.stop();
  }, 300_000);

  it("README marks the producer, consumer and AcceptShares snippets, and stays under 200 lines", () => {
    expect(Object.keys(snippets).sort()).toEqual(["accept-shares", "consumer", "producer"]);
    expect(README.split("\n").length).toBeLessThanOrEqual(200);
  });

  it("the producer snippet shares the image with the configured projects; the consumer snippet accepts it", async () => {
    const producer = await project("producer", {
      "openstack:cloud": "producer",
      "readme-producer:imageId": image,
      "readme-producer:memberIds[0]": os!.projects.consumer,
    });
    const up = await producer.up({});
    expect(languageHosts(up.processes).length).toBeGreaterThanOrEqual(1);
    expect(await status(image)).toBe("pending");
    expect(up.outputs.statuses).toEqual({ [os!.projects.consumer]: "pending" });

    const consumer = await project("consumer", { "openstack:cloud": "consumer", "readme-consumer:imageId": image });
    await consumer.up({});
    expect(await status(image)).toBe("accepted");
    await producer.preview({}, { refresh: true, expectNoChanges: true }); // the consumer's answer is no drift
  });

  it("the AcceptShares snippet accepts what the trusted producer shares under a golden-* name, and nothing else", async () => {
    expect((await addMemberRaw(os!.cloudsFile, "producer", golden, os!.projects.consumer)).status).toBe(200);
    const stack = await project("accept-shares", {
      "openstack:cloud": "consumer",
      "readme-accept-shares:producerProjectId": os!.projects.producer,
    });
    const up = await stack.up({});
    expect(up.outputs.accepted).toEqual([golden]);
    expect(await status(golden)).toBe("accepted");
    await stack.preview({}, { refresh: true, expectNoChanges: true });
    await stack.destroy();
    expect(await status(golden)).toBe("rejected"); // statusOnDelete's default
  });
});
