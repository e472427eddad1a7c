import * as pulumi from "@pulumi/pulumi";
import { openImageService } from "../sdk/image-service";
import type { StackConfig } from "../sdk/settings";
import type { Member, MemberStatus, SharedImage } from "../sdk/types";
import { stackConfigKeys } from "./stack-config";

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
export interface GetSharedImagesArgs {
  /** Project ids of the owners whose shares to list; default: every owner. */
  owners?: string[];
  /** Only images this project has given this status; default `all`. */
  memberStatus?: MemberStatus | "all";
  /** Only images carrying every one of these tags. */
  tags?: string[];
  cloud?: string;
  region?: string;
}

function programStackConfig(): StackConfig {
  const config = new pulumi.Config("openstack");
  return Object.fromEntries(stackConfigKeys.map((k) => [k, config.get(k.slice("openstack:".length))]));
}

/** An image service for program-time calls, with the stack config the program sees. */
export const openFor = (args: { cloud?: string; region?: string }) =>
  openImageService(
    { ...(args.cloud ? { cloud: args.cloud } : {}), ...(args.region ? { region: args.region } : {}) },
    { stackConfig: programStackConfig() },
  );

/** The members of an image, as the credential sees them (a consumer sees only itself). */
export async function getImageMembers(args: GetImageMembersArgs): Promise<Member[]> {
  return (await openFor(args)).listMembers(args.imageId);
}

/** One membership. */
export async function getImageMember(args: GetImageMemberArgs): Promise<Member> {
  return (await openFor(args)).getMember(args.imageId, args.memberId);
}

/**
 * The images other projects share with the credential's project (never its own), each with this
 * project's member status: every page of Glance's image list, a request per page (one paged list per
 * member status when the status is wanted), never one per image.
 */
export async function getSharedImages(args: GetSharedImagesArgs = {}): Promise<SharedImage[]> {
  const { cloud, region, ...filter } = args;
  return (await openFor({ cloud, region })).listSharedImages(filter);
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export function getImageMembersOutput(args: Inputs<GetImageMembersArgs>): pulumi.Output<Member[]> {
  return pulumi.output(args).apply((a) => getImageMembers(a as GetImageMembersArgs));
}

export function getImageMemberOutput(args: Inputs<GetImageMemberArgs>): pulumi.Output<Member> {
  return pulumi.output(args).apply((a) => getImageMember(a as GetImageMemberArgs));
}

export function getSharedImagesOutput(args: Inputs<GetSharedImagesArgs> = {}): pulumi.Output<SharedImage[]> {
  return pulumi.output(args).apply((a) => getSharedImages(a as GetSharedImagesArgs));
}
