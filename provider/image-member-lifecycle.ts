import type * as pulumi from "@pulumi/pulumi";
import { alreadySharedError, hasCode } from "../sdk/errors";
import type { Member, MemberStatus } from "../sdk/types";
import { Checker, changed, compact, type DynamicProvider, memberResourceId, type ReadResult } from "./checks";
import { findMember, isClaimed, membershipOf, serviceFor, writing } from "./command-cache";
import { halfCreated } from "./partial-failure";
import { placementDiff, placementOf } from "./placement";
import { mayTakeOver, warnTakenOver } from "./takeover";

/**
 * The producer side: the image owner declares that a project is a member of its image.
 *
 * Drift, for the producer (docs/drift-detection.md): the membership removed or the image deleted is drift; the
 * consumer accepting or rejecting is not (status is not tracked unless pinned, which needs an admin).
 */

export interface ImageMemberInputs {
  imageId: string;
  memberId: string;
  status?: MemberStatus;
  adoptExisting?: boolean;
  cloud?: string;
  region?: string;
}

export interface ImageMemberOutputs {
  imageId: string;
  memberId: string;
  createdAt: string;
  region?: string;
  cloud?: string;
  /** Only when pinned by the `status` input. */
  status?: MemberStatus;
}

const RESOURCE = "ImageMember";
const inputNames = ["imageId", "memberId", "status", "adoptExisting", "cloud", "region"] as const;

function outputsOf(member: Member, inputs: ImageMemberInputs, region: string | undefined): ImageMemberOutputs {
  return compact({
    imageId: member.imageId,
    memberId: member.memberId,
    createdAt: member.createdAt,
    region: inputs.region ?? region,
    cloud: inputs.cloud,
    status: inputs.status === undefined ? undefined : member.status,
  });
}

async function check(_olds: ImageMemberInputs, news: ImageMemberInputs): Promise<pulumi.dynamic.CheckResult<ImageMemberInputs>> {
  const c = new Checker(RESOURCE, news as unknown as Record<string, unknown>);
  c.onlyKnown(inputNames);
  c.id("imageId", true, "give the id of an image your project owns, with visibility shared");
  c.id("memberId", true, "give the id of the project to share the image with");
  c.status("status", "status is for admins who force a member's status; leave it unset to let the member decide");
  c.boolean("adoptExisting");
  c.text("cloud", "a clouds.yaml entry");
  c.text("region", "a region of the image service");
  return c.failures.length ? { failures: c.failures } : { inputs: news };
}

async function diff(_id: string, olds: ImageMemberOutputs, news: ImageMemberInputs): Promise<pulumi.dynamic.DiffResult> {
  const placement = placementDiff(news, olds);
  const replaces = [...(["imageId", "memberId"] as const).filter((k) => news[k] !== olds[k]), ...placement.replaces];
  const updates = [
    ...(changed(news.status, olds.status) ? ["status"] : []),
    // unpinning: stop reporting a status nobody tracks any more
    ...(news.status === undefined && olds.status !== undefined ? ["status"] : []),
    ...placement.updates,
  ];
  return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
}

async function create(inputs: ImageMemberInputs): Promise<{ id: string; outs: ImageMemberOutputs }> {
  const glance = await serviceFor(inputs);
  const { imageId, memberId } = inputs;
  let member: Member;
  try {
    member = await writing(imageId, () => glance.createMember(imageId, memberId));
  } catch (e) {
    if (!hasCode(e, "ERR_ALREADY_SHARED")) throw e;
    member = await glance.getMember(imageId, memberId);
    if (!mayTakeOver(inputs.adoptExisting, member)) {
      throw alreadySharedError(RESOURCE, imageId, memberId, member.status, member.updatedAt, e);
    }
    if (inputs.adoptExisting === undefined) await warnTakenOver(RESOURCE, member);
  }
  const id = memberResourceId(imageId, memberId);
  if (inputs.status !== undefined && member.status !== inputs.status) {
    try {
      const status = inputs.status;
      member = await writing(imageId, () => glance.updateMemberStatus(imageId, memberId, status));
    } catch (e) {
      // The membership exists now: report it so Pulumi records it (and retries the status on the
      // next `up`) rather than forgetting a share it made.
      throw halfCreated(id, outputsOf(member, inputs, glance.region), inputs, e);
    }
  }
  return { id, outs: outputsOf(member, inputs, glance.region) };
}

async function read(id: string, stored: Partial<ImageMemberOutputs> = {}): Promise<ReadResult<ImageMemberOutputs, ImageMemberInputs>> {
  const props = membershipOf(id, stored);
  const { member } = await findMember(props);
  if (!member) return {}; // the share (or the image) is gone: drift for the producer
  const inputs: ImageMemberInputs = compact({
    imageId: props.imageId,
    memberId: props.memberId,
    status: props.status === undefined ? undefined : member.status,
    cloud: props.cloud,
    // the region resolved at create is left out, as the program may have left it out
  });
  return { id, props: outputsOf(member, { ...inputs, region: props.region }, props.region), inputs };
}

async function update(_id: string, olds: ImageMemberOutputs, news: ImageMemberInputs): Promise<{ outs: ImageMemberOutputs }> {
  const where = placementOf(news, olds);
  const glance = await serviceFor(where);
  const status = news.status;
  const member =
    status !== undefined && status !== olds.status
      ? await writing(news.imageId, () => glance.updateMemberStatus(news.imageId, news.memberId, status))
      : // a cloud change, or unpinning: same membership, seen through the new credentials
        await glance.getMember(news.imageId, news.memberId);
  return { outs: outputsOf(member, where, glance.region) };
}

async function remove(_id: string, props: ImageMemberOutputs): Promise<void> {
  // an ImageShare of this program took the membership over (claimMemberships): it stays
  if (isClaimed(props.imageId, props.memberId)) return;
  const glance = await serviceFor(props);
  // a missing member, or image, is success (deleteMember's own rule)
  await writing(props.imageId, () => glance.deleteMember(props.imageId, props.memberId));
}

export const imageMemberProvider = { check, diff, create, read, update, delete: remove } satisfies DynamicProvider<
  ImageMemberInputs,
  ImageMemberOutputs
>;
