import * as pulumi from "@pulumi/pulumi";

/**
 * Refuses, at registration, an ImageMember or a second ImageShare on the image of an exclusive
 * ImageShare of the same program: the exclusive one would remove the others' members at its next
 * `pulumi up --refresh`, and they would add them back. Only image ids known when the resources are
 * registered (plain strings) can be compared; docs/resources.md says what happens with the others.
 *
 * One record per program run, keyed by its stack resource: a process that runs several programs
 * (the Automation API's inline programs) starts each afresh.
 */
interface Declared {
  /** Who declared the image's exclusive ImageShare. */
  exclusive?: string;
  /** Everyone who declared members of the image. */
  all: string[];
}

const runs = new WeakMap<object, Map<string, Declared>>();
const noStack = {};

export function declareMembersOf(imageId: pulumi.Input<string>, who: string, exclusive: boolean): void {
  if (typeof imageId !== "string") return;
  const run = pulumi.runtime.getStackResource() ?? noStack;
  let images = runs.get(run);
  if (!images) {
    images = new Map();
    runs.set(run, images);
  }
  const seen = images.get(imageId) ?? { all: [] };
  const conflict = exclusive ? seen.all[0] : seen.exclusive;
  if (conflict) {
    const owner = exclusive ? who : conflict;
    const other = exclusive ? conflict : who;
    throw new pulumi.RunError(
      `${other} and ${owner} both declare members of image ${imageId}, and ${owner} is exclusive (its memberIds are the image's only members): ` +
        `list the members in ${owner}'s memberIds instead, or set exclusive: false on it`,
    );
  }
  seen.all.push(who);
  if (exclusive) seen.exclusive = who;
  images.set(imageId, seen);
}
