import * as pulumi from "@pulumi/pulumi";
import { alreadySharedError, existingMembersError, hasCode, ownerListedError } from "../sdk/errors";
import type { ImageService, Member, MemberStatus } from "../sdk/types";
import { checkId } from "../sdk/validation";
import { Checker, changed, compact, type DynamicProvider, isUnknown, type ReadResult } from "./checks";
import { claimMemberships, forgetMembers, isClaimed, serviceFor } from "./command-cache";
import { inParallel, MEMBER_WRITES_IN_FLIGHT } from "./parallel";
import { partialFailure, reasonOf } from "./partial-failure";
import { placementDiff, placementOf } from "./placement";
import { mayTakeOver, warnTakenOver } from "./takeover";

/**
 * The producer side, for a whole set: the projects in `memberIds` are members of image `imageId`
 * (GCP's `_iam_binding` beside ImageMember's `_iam_member`).
 *
 * Drift, for the producer: a declared member removed by hand (or the image deleted) is drift; a
 * consumer's answer never is (`statuses` is informational). With `exclusive: true` the list is
 * authoritative: a member nobody declared is drift too, and an update removes it. Read is one
 * member-list request, whatever the size of the set.
 */

export interface ImageShareInputs {
  imageId: string;
  memberIds: string[];
  exclusive?: boolean;
  adoptExisting?: boolean;
  cloud?: string;
  region?: string;
}

export interface ImageShareOutputs {
  imageId: string;
  /** The declared members that are members, in the program's order. */
  memberIds: string[];
  /** Each member's answer (informational: never drift for the producer). */
  statuses: Record<string, MemberStatus>;
  exclusive?: boolean;
  /** `exclusive` only: members of the image that nobody declared, found by a refresh. */
  undeclaredMemberIds?: string[];
  region?: string;
  cloud?: string;
}

const RESOURCE = "ImageShare";
const inputNames = ["imageId", "memberIds", "exclusive", "adoptExisting", "cloud", "region"] as const;

/** Sets at least this large print their progress. */
const PROGRESS_FROM = 50;

async function check(_olds: ImageShareInputs, news: ImageShareInputs): Promise<pulumi.dynamic.CheckResult<ImageShareInputs>> {
  const c = new Checker(RESOURCE, news as unknown as Record<string, unknown>);
  c.onlyKnown(inputNames);
  c.id("imageId", true, "give the id of an image your project owns, with visibility shared");
  c.boolean("exclusive");
  c.boolean("adoptExisting");
  c.text("cloud", "a clouds.yaml entry");
  c.text("region", "a region of the image service");
  const failures = [...c.failures, ...memberIdsFailures(news.memberIds)];
  return failures.length ? { failures } : { inputs: news };
}

/** memberIds: a list of project ids, each once (elements still unknown in a preview pass). */
function memberIdsFailures(memberIds: unknown): pulumi.dynamic.CheckFailure[] {
  if (isUnknown(memberIds)) return [];
  if (!Array.isArray(memberIds)) {
    return [
      {
        property: "memberIds",
        reason: `must be a list of project ids (an empty list shares with nobody), not ${JSON.stringify(memberIds) ?? "undefined"}`,
      },
    ];
  }
  const failures: pulumi.dynamic.CheckFailure[] = [];
  memberIds.forEach((id, i) => {
    const problem = isUnknown(id) ? undefined : checkId(`memberIds[${i}]`, id);
    if (problem) failures.push({ property: "memberIds", reason: `${problem}: give the ids of the projects to share the image with` });
  });
  const twice = [...new Set(memberIds.filter((id, i) => !isUnknown(id) && memberIds.indexOf(id) !== i))];
  if (twice.length) failures.push({ property: "memberIds", reason: `lists ${twice.join(", ")} more than once: list each project once` });
  return failures;
}

async function diff(_id: string, olds: ImageShareOutputs, news: ImageShareInputs): Promise<pulumi.dynamic.DiffResult> {
  // the members this share holds and keeps: a resource the program dropped leaves them in Glance
  if (news.imageId === olds.imageId && Array.isArray(news.memberIds))
    claimMemberships(
      olds.imageId,
      olds.memberIds.filter((m) => news.memberIds.includes(m)),
    );
  const placement = placementDiff(news, olds);
  const replaces = [...(news.imageId !== olds.imageId ? ["imageId"] : []), ...placement.replaces];
  const members = !sameMembers(news.memberIds, olds.memberIds) || (news.exclusive === true && (olds.undeclaredMemberIds?.length ?? 0) > 0);
  const updates = [
    ...(members ? ["memberIds"] : []),
    ...(changed(news.exclusive ?? false, olds.exclusive ?? false) ? ["exclusive"] : []),
    ...placement.updates,
  ];
  return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
}

const sameMembers = (a: string[] | undefined, b: string[] | undefined) => {
  if (!Array.isArray(a) || !Array.isArray(b) || a.some(isUnknown)) return false;
  const set = new Set(b);
  return a.length === b.length && a.every((id) => set.has(id));
};

async function create(inputs: ImageShareInputs): Promise<{ id: string; outs: ImageShareOutputs }> {
  const glance = await serviceFor(inputs);
  const { imageId, memberIds } = inputs;
  refuseOwner(glance, memberIds);
  // one read before any write: a create that may not take over what it finds stops before it writes
  const held = await takeOver(glance, inputs, await glance.listMembers(imageId), new Set(memberIds));
  const result = await writeMembers(
    glance,
    inputs,
    memberIds.filter((m) => !held.has(m)),
    [],
    held,
  );
  const outs = outputsOf(inputs, result.held, glance.region);
  if (result.failures.length) throw partialFailure(imageId, failureMessage("created", imageId, memberIds.length, result), outs, inputs);
  return { id: imageId, outs };
}

async function update(id: string, olds: ImageShareOutputs, news: ImageShareInputs): Promise<{ outs: ImageShareOutputs }> {
  const where = placementOf(news, olds);
  const glance = await serviceFor(where);
  const { imageId, memberIds } = news;
  refuseOwner(glance, memberIds);
  const wanted = new Set(memberIds);
  // The members this update starts from. Exclusive, the list is who can see the image: one read
  // tells who can now, and members newly declared that exist already follow the takeover rule.
  // Otherwise, the members the state holds.
  let held = new Map(olds.memberIds.map((m) => [m, olds.statuses?.[m] ?? "pending"]));
  if (news.exclusive) {
    const members = await glance.listMembers(imageId);
    const newlyDeclared = new Set(memberIds.filter((m) => !held.has(m)));
    held = new Map([
      ...members.filter((m) => !newlyDeclared.has(m.memberId)).map((m) => [m.memberId, m.status] as const),
      ...(await takeOver(glance, news, members, newlyDeclared)),
    ]);
  }
  const adds = memberIds.filter((m) => !held.has(m));
  const removes = [...held.keys()].filter((m) => !wanted.has(m));
  claimMemberships(
    imageId,
    memberIds.filter((m) => held.has(m)),
    glance,
  );
  const result = await writeMembers(glance, news, adds, removes, held);
  // where it acted: a cloud the program no longer names is still the one read and delete must use
  const outs = outputsOf(where, result.held, glance.region);
  if (result.failures.length)
    throw partialFailure(id, failureMessage("updated", imageId, adds.length + removes.length, result), outs, news);
  return { outs };
}

/**
 * The members of `members` that are in `declared`, taken over: pending ones with a warning (unless
 * adoptExisting says), answered ones only with adoptExisting: true. Refuses them all, before any
 * write, when any may not be taken over.
 */
async function takeOver(
  glance: ImageService,
  inputs: ImageShareInputs,
  members: Member[],
  declared: Set<string>,
): Promise<Map<string, MemberStatus>> {
  const found = members.filter((m) => declared.has(m.memberId));
  const refused = found.filter((m) => !mayTakeOver(inputs.adoptExisting, m));
  if (refused.length)
    throw existingMembersError(RESOURCE, inputs.imageId, inputs.adoptExisting === false ? found : refused, inputs.adoptExisting);
  if (inputs.adoptExisting === undefined) for (const m of found) await warnTakenOver(RESOURCE, m);
  claimMemberships(
    inputs.imageId,
    found.map((m) => m.memberId),
    glance,
  );
  return new Map(found.map((m) => [m.memberId, m.status]));
}

async function read(id: string, stored: Partial<ImageShareOutputs> = {}): Promise<ReadResult<ImageShareOutputs, ImageShareInputs>> {
  const imageId = stored.imageId ?? id;
  const declared = stored.memberIds ?? [];
  const glance = await serviceFor(stored);
  let members: Member[];
  try {
    members = await glance.listMembers(imageId);
  } catch (e) {
    if (hasCode(e, "ERR_IMAGE_NOT_FOUND")) return {}; // the image is gone: drift for the producer
    throw e;
  }
  const byId = new Map(members.map((m) => [m.memberId, m]));
  const memberIds = declared.filter((m) => byId.has(m));
  const undeclared = stored.exclusive ? members.map((m) => m.memberId).filter((m) => !declared.includes(m)) : [];
  const props: ImageShareOutputs = compact({
    imageId,
    memberIds,
    statuses: Object.fromEntries(memberIds.map((m) => [m, byId.get(m)!.status])),
    exclusive: stored.exclusive,
    undeclaredMemberIds: undeclared.length ? undeclared : undefined,
    region: stored.region,
    cloud: stored.cloud,
  });
  // Inputs that mirror what is there, so `preview --refresh --diff` names the member ids that differ
  // from the program's, and an applied `pulumi refresh` leaves a state that agrees with itself. The
  // region resolved at create is left out, as the program may have left it out.
  const inputs: ImageShareInputs = compact({
    imageId,
    memberIds: [...memberIds, ...undeclared],
    exclusive: stored.exclusive,
    cloud: stored.cloud,
  });
  return { id, props, inputs };
}

async function remove(_id: string, props: ImageShareOutputs): Promise<void> {
  const glance = await serviceFor(props);
  // the declared members only, never the undeclared ones an exclusive refresh found, nor those another
  // ImageShare of this program wrote or took over in this command, in this region (a share renamed
  // without an alias: the engine creates the new one first and deletes this one last); a member or an
  // image already gone is success (deleteMember's own rule)
  const memberIds = props.memberIds.filter((m) => !isClaimed(props.imageId, m, glance));
  const result = await writeMembers(
    glance,
    { imageId: props.imageId },
    [],
    memberIds,
    new Map(memberIds.map((m) => [m, props.statuses?.[m] ?? "pending"])),
  );
  if (result.failures.length) throw new Error(failureMessage("destroyed", props.imageId, memberIds.length, result));
}

/** An owner is not a member of its own image: refused before any request to Glance. */
function refuseOwner(glance: ImageService, memberIds: string[]): void {
  if (memberIds.includes(glance.projectId)) throw ownerListedError(RESOURCE, glance.projectId);
}

interface WriteResult {
  /** Every member held after the writes, with its status. */
  held: Map<string, MemberStatus>;
  failures: { memberId: string; error: unknown }[];
  added: number;
  removed: number;
}

/**
 * Adds and removes members, at most MEMBER_WRITES_IN_FLIGHT at a time, going on past a failure (a
 * member quota stops the adds: every later one would meet it too). `held` is updated as answers come,
 * so a failure loses nothing done before it.
 */
async function writeMembers(
  glance: ImageService,
  inputs: Pick<ImageShareInputs, "imageId" | "adoptExisting">,
  adds: string[],
  removes: string[],
  held: Map<string, MemberStatus>,
): Promise<WriteResult> {
  const { imageId } = inputs;
  const result: WriteResult = { held, failures: [], added: 0, removed: 0 };
  const work = [...removes.map((memberId) => ({ memberId, add: false })), ...adds.map((memberId) => ({ memberId, add: true }))];
  const progress = new Progress(imageId, work.length);
  let quotaReached = false;
  forgetMembers(imageId);
  await inParallel(work, MEMBER_WRITES_IN_FLIGHT, async ({ memberId, add }) => {
    if (add && quotaReached) return;
    try {
      if (add) {
        held.set(memberId, (await addMember(glance, inputs, memberId)).status);
        claimMemberships(imageId, [memberId], glance);
        result.added++;
      } else {
        await glance.deleteMember(imageId, memberId);
        held.delete(memberId);
        result.removed++;
      }
    } catch (error) {
      if (hasCode(error, "ERR_MEMBER_QUOTA")) quotaReached = true;
      result.failures.push({ memberId, error });
    }
    await progress.step();
  });
  forgetMembers(imageId);
  return result;
}

/** One member added; one that exists already follows the takeover rule. */
async function addMember(
  glance: ImageService,
  inputs: Pick<ImageShareInputs, "imageId" | "adoptExisting">,
  memberId: string,
): Promise<Member> {
  const { imageId } = inputs;
  try {
    return await glance.createMember(imageId, memberId);
  } catch (e) {
    if (!hasCode(e, "ERR_ALREADY_SHARED")) throw e;
    const member = await glance.getMember(imageId, memberId);
    if (!mayTakeOver(inputs.adoptExisting, member))
      throw alreadySharedError(RESOURCE, imageId, memberId, member.status, member.updatedAt, e);
    if (inputs.adoptExisting === undefined) await warnTakenOver(RESOURCE, member);
    return member;
  }
}

/** Outputs for the members held: the program's order first, then any left over by a failure. */
function outputsOf(inputs: ImageShareInputs, held: Map<string, MemberStatus>, region: string | undefined): ImageShareOutputs {
  const memberIds = [...inputs.memberIds.filter((m) => held.has(m)), ...[...held.keys()].filter((m) => !inputs.memberIds.includes(m))];
  return compact({
    imageId: inputs.imageId,
    memberIds,
    statuses: Object.fromEntries(memberIds.map((m) => [m, held.get(m)!])),
    exclusive: inputs.exclusive,
    region: inputs.region ?? region,
    cloud: inputs.cloud,
  });
}

function failureMessage(done: string, imageId: string, total: number, r: WriteResult): string {
  const first = r.failures.slice(0, 5).map((f) => `${f.memberId}: ${reasonOf(f.error)}`);
  const more = r.failures.length > 5 ? `; and ${r.failures.length - 5} more` : "";
  return (
    `${RESOURCE} ${imageId} ${done} in part: ${r.added} member(s) added and ${r.removed} removed of ${total}, ${r.failures.length} failed (${first.join("; ")}${more}); ` +
    "the state records what was done: run pulumi up again to finish"
  );
}

/** Progress of a large set on the CLI's output, every tenth of the way. */
class Progress {
  private done = 0;
  private shown = 0;
  constructor(
    private readonly imageId: string,
    private readonly total: number,
  ) {}

  async step(): Promise<void> {
    this.done++;
    if (this.total < PROGRESS_FROM) return;
    const tenth = Math.floor((this.done * 10) / this.total);
    if (tenth === this.shown) return;
    this.shown = tenth;
    await pulumi.log.info(`${RESOURCE} ${this.imageId}: ${this.done} of ${this.total} member writes done`);
  }
}

export const imageShareProvider = { check, diff, create, read, update, delete: remove } satisfies DynamicProvider<
  ImageShareInputs,
  ImageShareOutputs
>;
