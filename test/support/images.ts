/**
 * Images the tests create, deleted when the tests are done with them: the suite can run against an
 * existing cloud (OS_CLIENT_CONFIG_FILE), where an image left behind stays, and deleting an image
 * removes its members too.
 *
 *     const image = await createTestImage(cloud.cloudsFile, "producer", { visibility: "shared" });
 *
 * Made in a test: deleted when that test ends, passed or failed (after its own `finally`s). Made
 * outside a test (a `beforeAll`, a helper it calls): deleted after the file's tests, after the
 * file's own `afterAll` hooks (vitest runs after-hooks in reverse order of registration, and this
 * module registers its hook when the file imports it) — so after the stacks sharing the image are
 * destroyed. A file whose `afterAll` stops the cloud the image lives in calls `deleteTestImages()`
 * first.
 */
import { afterAll, onTestFinished, TestRunner } from "vitest";
import { createImage, deleteImage } from "../../dev/harness/images";
import { inParallel } from "../../provider/parallel";

interface Made {
  cloudsFile: string;
  entry: string;
  id: string;
}

/** Images made outside a test, for the end of the file. */
const forFile: Made[] = [];

afterAll(() => deleteTestImages());

/** dev/harness/images.ts `createImage`, with the image's deletion scheduled (see above). `keep:
 *  "file"`: an image a test makes for the tests after it is deleted after the file's tests too. */
export async function createTestImage(
  cloudsFile: string,
  entry: string,
  options: Parameters<typeof createImage>[2],
  keep: "test" | "file" = "test",
): Promise<string> {
  const id = await createImage(cloudsFile, entry, options);
  const made = { cloudsFile, entry, id };
  if (keep === "test" && TestRunner.getCurrentTest()) onTestFinished(() => deleteAll([made]));
  else forFile.push(made);
  return id;
}

/** Deletes the images made outside a test so far (an image already gone is fine). */
export async function deleteTestImages(): Promise<void> {
  await deleteAll(forFile.splice(0));
}

async function deleteAll(images: Made[]): Promise<void> {
  // as the entry that made it: an image's owner can always delete it
  const failed: string[] = [];
  await inParallel(images, 8, (m) =>
    deleteImage(m.cloudsFile, m.entry, m.id).then(
      () => undefined,
      (e: unknown) => void failed.push(String(e)),
    ),
  );
  if (failed.length) throw new Error(`could not delete ${failed.length} test image(s):\n${failed.join("\n")}`);
}
