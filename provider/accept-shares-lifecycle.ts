import type * as pulumi from "@pulumi/pulumi";
import { hasCode } from "../sdk/errors";
import { type ImageService, MemberStatus, type StatusOnDelete, statusesOnDelete } from "../sdk/types";
import { checkId } from "../sdk/validation";
import { Checker, compact, type DynamicProvider, isUnknown, type ReadResult } from "./checks";
import { claimMemberships, serviceFor } from "./command-cache";
import { inParallel, MEMBER_WRITES_IN_FLIGHT } from "./parallel";
import { partialFailure, reasonOf } from "./partial-failure";
import { placementDiff, placementOf } from "./placement";

/**
 * The consumer side, for every share of its trusted producers: the images that any of `owners`
 * shares with the credential's project (filtered by `nameMatch` and `tags`) are answered `status`.
 * The program lists them when it runs (`imageIds`, see accept-shares.ts), so a new share is a
 * difference a plain `pulumi up` answers and the drift check reports.
 *
 * Drift, for the consumer: a status changed outside the stack. A share the owner removed drops out
 * without an error. Read lists the shared images in pages, never one request per image. Destroy
 * leaves every share at `statusOnDelete` (a consumer cannot delete a membership, only hide it).
 */

export interface AcceptSharesInputs {
  owners: string[];
  /** The matching shares listed when the program ran, sorted. */
  imageIds: string[];
  status?: MemberStatus;
  nameMatch?: string;
  tags?: string[];
  statusOnDelete?: StatusOnDelete;
  cloud?: string;
  region?: string;
}

export interface AcceptSharesOutputs {
  /** The project that answers: the credential's. */
  memberId: string;
  owners: string[];
  /** The shares answered, sorted. */
  imageIds: string[];
  /** This project's answer to each share, by image id. */
  statuses: Record<string, MemberStatus>;
  status: MemberStatus;
  statusOnDelete: StatusOnDelete;
  nameMatch?: string;
  tags?: string[];
  region?: string;
  cloud?: string;
}

const RESOURCE = "AcceptShares";
const inputNames = ["owners", "imageIds", "status", "nameMatch", "tags", "statusOnDelete", "cloud", "region"] as const;
const defaults = { status: MemberStatus.ACCEPTED, statusOnDelete: "rejected" } as const;
type Resolved = AcceptSharesInputs & { status: MemberStatus; statusOnDelete: StatusOnDelete };
const withDefaults = (inputs: AcceptSharesInputs): Resolved => ({ ...defaults, ...compact(inputs) });

async function check(_olds: AcceptSharesInputs, news: AcceptSharesInputs): Promise<pulumi.dynamic.CheckResult<AcceptSharesInputs>> {
  const c = new Checker(RESOURCE, news as unknown as Record<string, unknown>);
  c.onlyKnown(inputNames);
  c.status("status");
  c.oneOf("statusOnDelete", statusesOnDelete);
  c.text("nameMatch", "a glob: * and ? as wildcards");
  c.text("cloud", "a clouds.yaml entry");
  c.text("region", "a region of the image service");
  const failures = [...c.failures, ...idListFailures("owners", news.owners, true), ...idListFailures("imageIds", news.imageIds, false)];
  return failures.length ? { failures } : { inputs: withDefaults(news) };
}

function idListFailures(property: string, ids: unknown, required: boolean): pulumi.dynamic.CheckFailure[] {
  if (isUnknown(ids)) return [];
  if (!Array.isArray(ids) || (required && ids.length === 0)) {
    return [
      {
        property,
        reason: `must be a list of ${required ? "at least one " : ""}project or image id(s), not ${JSON.stringify(ids) ?? "undefined"}`,
      },
    ];
  }
  return ids.flatMap((id, i) => {
    const problem = isUnknown(id) ? undefined : checkId(`${property}[${i}]`, id);
    return problem ? [{ property, reason: problem }] : [];
  });
}

async function diff(_id: string, olds: AcceptSharesOutputs, stored: AcceptSharesInputs): Promise<pulumi.dynamic.DiffResult> {
  const news = withDefaults(stored);
  // the shares it answers and keeps: a MemberAcceptance the program dropped leaves their status
  if (olds.memberId && Array.isArray(news.imageIds)) {
    for (const imageId of (olds.imageIds ?? []).filter((i) => news.imageIds.includes(i))) claimMemberships(imageId, [olds.memberId]);
  }
  const placement = placementDiff(news, olds);
  const answered = (olds.imageIds ?? []).every((i) => olds.statuses?.[i] === news.status);
  const updates = [
    ...(!sameSet(news.imageIds, olds.imageIds) || !answered ? ["imageIds"] : []),
    ...(news.status !== olds.status ? ["status"] : []),
    ...(news.statusOnDelete !== olds.statusOnDelete ? ["statusOnDelete"] : []),
    ...(!sameSet(news.owners, olds.owners) ? ["owners"] : []),
    ...(news.nameMatch !== olds.nameMatch ? ["nameMatch"] : []),
    ...(!sameSet(news.tags ?? [], olds.tags ?? []) ? ["tags"] : []),
    ...placement.updates,
  ];
  return { changes: placement.replaces.length > 0 || updates.length > 0, replaces: placement.replaces, deleteBeforeReplace: false };
}

const sameSet = (a: unknown, b: unknown) => {
  if (!Array.isArray(a) || !Array.isArray(b) || a.some(isUnknown)) return false;
  const set = new Set(b);
  return a.length === b.length && a.every((x) => set.has(x));
};

async function create(checked: AcceptSharesInputs): Promise<{ id: string; outs: AcceptSharesOutputs }> {
  const inputs = withDefaults(checked);
  const glance = await serviceFor(inputs);
  // statuses first: a share already answered as wanted is not written (an upgrade from the 0.x
  // component, whose children answered them, changes no status)
  const current = await currentStatuses(glance, inputs);
  const listed = inputs.imageIds.filter((i) => i in current);
  const statuses = Object.fromEntries(listed.map((i) => [i, current[i]!]));
  const id = `${glance.projectId}/${[...inputs.owners].sort().join(",")}`;
  const result = await answer(glance, inputs, listed, [], statuses);
  const outs = outputsOf(inputs, glance.projectId, result.statuses, glance.region);
  if (result.failures.length) throw partialFailure(id, failureMessage(result), outs, checked);
  return { id, outs };
}

async function update(id: string, olds: AcceptSharesOutputs, stored: AcceptSharesInputs): Promise<{ outs: AcceptSharesOutputs }> {
  const news = withDefaults(placementOf(stored, olds));
  const glance = await serviceFor(news);
  const wanted = new Set(news.imageIds);
  const statuses: Record<string, MemberStatus> = {};
  for (const i of olds.imageIds ?? []) if (olds.statuses?.[i]) statuses[i] = olds.statuses[i]!;
  const dropped = (olds.imageIds ?? []).filter((i) => !wanted.has(i));
  const result = await answer(glance, news, news.imageIds, dropped, statuses);
  const outs = outputsOf(news, glance.projectId, result.statuses, glance.region);
  if (result.failures.length) throw partialFailure(id, failureMessage(result), outs, stored);
  return { outs };
}

async function read(id: string, stored: Partial<AcceptSharesOutputs> = {}): Promise<ReadResult<AcceptSharesOutputs, AcceptSharesInputs>> {
  const props = withDefaults({ imageIds: [], owners: [], ...stored } as AcceptSharesInputs);
  const glance = await serviceFor(props);
  const current = await currentStatuses(glance, props);
  // a share the owner removed drops out, without an error
  const imageIds = props.imageIds.filter((i) => i in current);
  const outs = outputsOf(props, glance.projectId, Object.fromEntries(imageIds.map((i) => [i, current[i]!])), props.region);
  const inputs: AcceptSharesInputs = compact({
    owners: outs.owners,
    imageIds,
    status: outs.status,
    nameMatch: outs.nameMatch,
    tags: outs.tags,
    statusOnDelete: outs.statusOnDelete,
    cloud: outs.cloud,
  });
  return { id, props: outs, inputs };
}

async function remove(_id: string, props: AcceptSharesOutputs): Promise<void> {
  const glance = await serviceFor(props);
  const result = await answer(glance, withDefaults(props), [], props.imageIds ?? [], { ...props.statuses });
  if (result.failures.length) throw new Error(failureMessage(result));
}

/** This project's status for each image the trusted owners share with it (pages of the image list). */
async function currentStatuses(glance: ImageService, inputs: Resolved): Promise<Record<string, MemberStatus>> {
  const shared = await glance.listSharedImages({
    owners: inputs.owners,
    memberStatus: "all",
    ...(inputs.tags?.length ? { tags: inputs.tags } : {}),
  });
  return Object.fromEntries(shared.map((s) => [s.imageId, s.memberStatus]));
}

interface AnswerResult {
  /** The answer of every share held after the writes. */
  statuses: Record<string, MemberStatus>;
  failures: { imageId: string; error: unknown }[];
}

/**
 * Answers `answer` with the wanted status (those not answered so already) and leaves `leave` at
 * statusOnDelete, at most MEMBER_WRITES_IN_FLIGHT at a time; a share gone meanwhile drops out.
 */
async function answer(
  glance: ImageService,
  inputs: Resolved,
  toAnswer: string[],
  leave: string[],
  statuses: Record<string, MemberStatus>,
): Promise<AnswerResult> {
  const result: AnswerResult = { statuses, failures: [] };
  const projectId = glance.projectId;
  for (const imageId of toAnswer) claimMemberships(imageId, [projectId]);
  const work = [
    ...leave.map((imageId) => ({ imageId, status: inputs.statusOnDelete as MemberStatus, keep: false })),
    ...toAnswer.filter((i) => statuses[i] !== inputs.status).map((imageId) => ({ imageId, status: inputs.status, keep: true })),
  ];
  await inParallel(work, MEMBER_WRITES_IN_FLIGHT, async ({ imageId, status, keep }) => {
    try {
      const member = await glance.updateMemberStatus(imageId, projectId, status);
      if (keep) statuses[imageId] = member.status;
      else delete statuses[imageId];
    } catch (error) {
      if (hasCode(error, "ERR_NOT_SHARED")) delete statuses[imageId];
      else result.failures.push({ imageId, error });
    }
  });
  return result;
}

function outputsOf(
  inputs: Resolved,
  memberId: string,
  statuses: Record<string, MemberStatus>,
  region: string | undefined,
): AcceptSharesOutputs {
  const imageIds = Object.keys(statuses).sort();
  return compact({
    memberId,
    owners: inputs.owners,
    imageIds,
    statuses: Object.fromEntries(imageIds.map((i) => [i, statuses[i]!])),
    status: inputs.status,
    statusOnDelete: inputs.statusOnDelete,
    nameMatch: inputs.nameMatch,
    tags: inputs.tags?.length ? inputs.tags : undefined,
    region: inputs.region ?? region,
    cloud: inputs.cloud,
  });
}

function failureMessage(r: AnswerResult): string {
  const first = r.failures.slice(0, 5).map((f) => `${f.imageId}: ${reasonOf(f.error)}`);
  const more = r.failures.length > 5 ? `; and ${r.failures.length - 5} more` : "";
  return `${RESOURCE}: ${r.failures.length} share(s) could not be answered (${first.join("; ")}${more}); the state records the others: run pulumi up again to finish`;
}

export const acceptSharesProvider = { check, diff, create, read, update, delete: remove } satisfies DynamicProvider<
  AcceptSharesInputs,
  AcceptSharesOutputs
>;
