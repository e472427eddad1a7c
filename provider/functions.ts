import * as pulumi from "@pulumi/pulumi";
import { openImageService } from "../sdk/image-service";
import type { StackConfig } from "../sdk/settings";
import type { Member } from "../sdk/types";
import { stackConfigKeys } from "./context";

/**
 * Look-ups for programs. Dynamic providers cannot serve invokes, so these are plain calls through the
 * SDK from the program's own process, with the same credential rules as the resources.
 */

export interface GetImageMembersArgs {
  imageId: string;
  cloud?: string;
  region?: string;
}
export interface GetImageMemberArgs extends GetImageMembersArgs {
  memberId: string;
}

function programStackConfig(): StackConfig {
  const config = new pulumi.Config("openstack");
  return Object.fromEntries(stackConfigKeys.map((k) => [k, config.get(k.slice("openstack:".length))]));
}

const open = (args: GetImageMembersArgs) =>
  openImageService({ ...(args.cloud ? { cloud: args.cloud } : {}), ...(args.region ? { region: args.region } : {}) }, { stackConfig: programStackConfig() });

/** The members of an image, as the credential sees them (a consumer sees only itself). */
export async function getImageMembers(args: GetImageMembersArgs): Promise<Member[]> {
  return (await open(args)).listMembers(args.imageId);
}

/** One membership. */
export async function getImageMember(args: GetImageMemberArgs): Promise<Member> {
  return (await open(args)).getMember(args.imageId, args.memberId);
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export function getImageMembersOutput(args: Inputs<GetImageMembersArgs>): pulumi.Output<Member[]> {
  return pulumi.output(args).apply((a) => getImageMembers(a as GetImageMembersArgs));
}

export function getImageMemberOutput(args: Inputs<GetImageMemberArgs>): pulumi.Output<Member> {
  return pulumi.output(args).apply((a) => getImageMember(a as GetImageMemberArgs));
}
