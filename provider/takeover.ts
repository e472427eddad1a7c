import * as pulumi from "@pulumi/pulumi";
import type { Member } from "../sdk/types";

/**
 * Whether a write that found a membership already there takes it over. `adoptExisting: true`
 * always does and `false` never does. Unset, it takes over a membership nobody has answered
 * (`pending`): what an `up` of this stack leaves behind when it is killed after Glance made the
 * member but before the state recorded it. Glance keeps no record of who made a membership, and
 * keeps the first `created_at` when a membership is removed and added again (measured on Glance 25),
 * so the timestamps cannot tell either. A membership the consumer has answered is in use: never
 * taken over unasked.
 */
export function mayTakeOver(adoptExisting: boolean | undefined, member: Member): boolean {
  return adoptExisting ?? member.status === "pending";
}

/**
 * Says on the CLI's output that a pending membership was taken over: the cost of the rule above is
 * that a pending membership another stack made is taken over too, and this stack's destroy removes it.
 * (The plugin host has no engine connection, so `@pulumi/pulumi`'s log writes `warning: [runtime] …`
 * to the plugin's stderr, which the CLI shows under the stack.)
 */
export async function warnTakenOver(resource: string, member: Member): Promise<void> {
  await pulumi.log.warn(
    `${resource}: took over the membership of project ${member.memberId} in image ${member.imageId}, created ${member.createdAt} and never answered: ` +
      "what a `pulumi up` of this stack that was killed mid-create leaves behind. If another stack manages it, remove it from one of " +
      "them; set adoptExisting: false to refuse such memberships instead.",
  );
}
