import type * as pulumi from "@pulumi/pulumi";
import { hasCode, notSharedError } from "../sdk/errors";
import { type ImageService, type Member, MemberStatus, type StatusOnDelete, statusesOnDelete } from "../sdk/types";
import { Checker, changed, compact, type DynamicProvider, memberResourceId, type ReadResult } from "./checks";
import { findMember, isClaimed, membershipOf, serviceFor, writing } from "./command-cache";
import { placementDiff, placementOf } from "./placement";

/**
 * The consumer side: a member project declares what it makes of a share (accepted by default).
 *
 * Drift, for the consumer (docs/drift-detection.md): its status changed outside the stack, or the share removed.
 * A consumer cannot delete a membership, only hide it: destroy sets `statusOnDelete`.
 */

export interface MemberAcceptanceInputs {
  imageId: string;
  status?: MemberStatus;
  memberId?: string;
  waitForShareSeconds?: number;
  statusOnDelete?: StatusOnDelete;
  cloud?: string;
  region?: string;
}

export interface MemberAcceptanceOutputs {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: string;
  updatedAt: string;
  statusOnDelete: StatusOnDelete;
  region?: string;
  cloud?: string;
}

const RESOURCE = "MemberAcceptance";

/**
 * What an unset input means. check() fills them in (where Pulumi expects defaults), so the state
 * holds them; diff() resolves too, because a refresh hands it the stored inputs unchecked and
 * states written by earlier builds stored them unset.
 */
const defaults = { status: MemberStatus.ACCEPTED, statusOnDelete: "rejected" } as const;
type Resolved = MemberAcceptanceInputs & { status: MemberStatus; statusOnDelete: StatusOnDelete };
const withDefaults = (inputs: MemberAcceptanceInputs): Resolved => ({ ...defaults, ...compact(inputs) });
const inputNames = ["imageId", "status", "memberId", "waitForShareSeconds", "statusOnDelete", "cloud", "region"] as const;
const MAX_WAIT_SECONDS = 3600;
const POLL_MS = 2000;

function outputsOf(member: Member, inputs: Resolved, region: string | undefined): MemberAcceptanceOutputs {
  return compact({
    imageId: member.imageId,
    memberId: member.memberId,
    status: member.status,
    createdAt: member.createdAt,
    updatedAt: member.updatedAt,
    statusOnDelete: inputs.statusOnDelete,
    region: inputs.region ?? region,
    cloud: inputs.cloud,
  });
}

async function check(
  _olds: MemberAcceptanceInputs,
  news: MemberAcceptanceInputs,
): Promise<pulumi.dynamic.CheckResult<MemberAcceptanceInputs>> {
  const c = new Checker(RESOURCE, news as unknown as Record<string, unknown>);
  c.onlyKnown(inputNames);
  c.id("imageId", true, "give the id of the image shared with your project");
  c.id("memberId", false, "leave it unset to use your credential's project");
  c.status("status");
  c.oneOf("statusOnDelete", statusesOnDelete);
  c.seconds("waitForShareSeconds", MAX_WAIT_SECONDS);
  c.text("cloud", "a clouds.yaml entry");
  c.text("region", "a region of the image service");
  return c.failures.length ? { failures: c.failures } : { inputs: withDefaults(news) };
}

async function diff(_id: string, olds: MemberAcceptanceOutputs, stored: MemberAcceptanceInputs): Promise<pulumi.dynamic.DiffResult> {
  const news = withDefaults(stored);
  const placement = placementDiff(news, olds);
  const replaces = [
    ...(news.imageId !== olds.imageId ? ["imageId"] : []),
    ...(changed(news.memberId, olds.memberId) ? ["memberId"] : []),
    ...placement.replaces,
  ];
  const updates = [
    ...(news.status !== olds.status ? ["status"] : []),
    ...(news.statusOnDelete !== olds.statusOnDelete ? ["statusOnDelete"] : []),
    ...placement.updates,
  ];
  return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
}

/** Sets the status, waiting up to `waitSeconds` for the producer to share the image. */
async function setStatus(
  glance: ImageService,
  imageId: string,
  memberId: string,
  status: MemberStatus,
  waitSeconds: number,
): Promise<Member> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      return await glance.updateMemberStatus(imageId, memberId, status);
    } catch (e) {
      if (!hasCode(e, "ERR_NOT_SHARED")) throw e;
      const left = deadline - Date.now();
      if (left <= 0) throw notSharedError(RESOURCE, imageId, memberId, waitSeconds, e);
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, left)));
    }
  }
}

async function create(checked: MemberAcceptanceInputs): Promise<{ id: string; outs: MemberAcceptanceOutputs }> {
  const inputs = withDefaults(checked);
  const glance = await serviceFor(inputs);
  const memberId = inputs.memberId ?? glance.projectId;
  // One PUT: Glance answers 200 whether or not the status changes, and 404 while not shared.
  const member = await writing(inputs.imageId, () =>
    setStatus(glance, inputs.imageId, memberId, inputs.status, inputs.waitForShareSeconds ?? 0),
  );
  return { id: memberResourceId(inputs.imageId, memberId), outs: outputsOf(member, inputs, glance.region) };
}

async function read(
  id: string,
  stored: Partial<MemberAcceptanceOutputs> = {},
): Promise<ReadResult<MemberAcceptanceOutputs, MemberAcceptanceInputs>> {
  const props = membershipOf(id, stored);
  const { glance, member } = await findMember(props);
  if (!member) return {}; // the share was removed (or the image deleted)
  const outputs = outputsOf(member, withDefaults(props), props.region);
  // Inputs that mirror what is there, as check() would have made them, so after an applied
  // `pulumi refresh` the state agrees with itself and a drift shows as the input it changed. What an
  // unset input resolves to at create (the credential's project, the region) is left out, as the
  // program may have left it out: diff() takes an unset input as equal to the resolved value.
  const inputs: MemberAcceptanceInputs = compact({
    imageId: outputs.imageId,
    memberId: outputs.memberId === glance.projectId ? undefined : outputs.memberId,
    status: outputs.status,
    statusOnDelete: outputs.statusOnDelete,
    cloud: outputs.cloud,
  });
  return { id, props: outputs, inputs };
}

async function update(
  _id: string,
  olds: MemberAcceptanceOutputs,
  news: MemberAcceptanceInputs,
): Promise<{ outs: MemberAcceptanceOutputs }> {
  const where = withDefaults(placementOf(news, olds));
  const glance = await serviceFor(where);
  const { status } = where;
  const member =
    status !== olds.status
      ? await writing(olds.imageId, () => setStatus(glance, olds.imageId, olds.memberId, status, 0))
      : // statusOnDelete or cloud: nothing to write, the membership seen through these credentials
        await glance.getMember(olds.imageId, olds.memberId);
  return { outs: outputsOf(member, where, glance.region) };
}

async function remove(_id: string, props: MemberAcceptanceOutputs): Promise<void> {
  // an AcceptShares of this program answers the share now (claimMemberships): its status stays
  if (isClaimed(props.imageId, props.memberId)) return;
  const glance = await serviceFor(props);
  try {
    await writing(props.imageId, () =>
      glance.updateMemberStatus(props.imageId, props.memberId, props.statusOnDelete ?? defaults.statusOnDelete),
    );
  } catch (e) {
    if (hasCode(e, "ERR_NOT_SHARED")) return; // no longer shared: nothing left to hide
    throw e;
  }
}

export const memberAcceptanceProvider = { check, diff, create, read, update, delete: remove } satisfies DynamicProvider<
  MemberAcceptanceInputs,
  MemberAcceptanceOutputs
>;
