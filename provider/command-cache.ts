import { hasCode } from "../sdk/errors";
import { openImageService } from "../sdk/image-service";
import type { ImageService, Member } from "../sdk/types";
import { memberResourceId } from "./checks";
import type { Placement } from "./placement";
import { receivedStackConfig, resetStackConfig, stackConfigGeneration } from "./stack-config";

/**
 * What the plugin process keeps for the length of one Pulumi command: one ImageService per (cloud,
 * region) and the member lists read so far (docs/guarantees.md: few requests).
 */

const services = new Map<string, Promise<ImageService>>();

/** One ImageService per (cloud, region) and stack config for the whole command; a failed open is
 *  not cached. The key names the config by its generation, so it holds no secret. */
export function serviceFor(where: Placement): Promise<ImageService> {
  const key = JSON.stringify([where.cloud ?? null, where.region ?? null, stackConfigGeneration()]);
  let service = services.get(key);
  if (!service) {
    const stackConfig = receivedStackConfig();
    const opened = openImageService(
      { ...(where.cloud ? { cloud: where.cloud } : {}), ...(where.region ? { region: where.region } : {}) },
      { stackConfig },
    );
    services.set(key, opened);
    opened.catch(() => {
      if (services.get(key) === opened) services.delete(key);
    });
    service = opened;
  }
  return service;
}

type Listing = Member[] | "gone";
// image id -> the lists read per ImageService: one service per (cloud, region) and so per credential
// set (a consumer's list shows only itself, an admin's everything)
const listings = new Map<string, Map<ImageService, Promise<Listing>>>();

/**
 * The members of an image as this credential sees them (a consumer sees only itself), fetched once
 * per command: refreshing N members of one image costs one request. "gone" when the image is not
 * there (or no longer visible to this project).
 */
export function cachedMembers(service: ImageService, imageId: string): Promise<Listing> {
  let byService = listings.get(imageId);
  if (!byService) {
    byService = new Map();
    listings.set(imageId, byService);
  }
  let listing = byService.get(service);
  if (!listing) {
    const read = service.listMembers(imageId).catch((e: unknown) => {
      if (hasCode(e, "ERR_IMAGE_NOT_FOUND")) return "gone" as const;
      throw e;
    });
    byService.set(service, read);
    read.catch(() => {
      if (listings.get(imageId)?.get(service) === read) listings.get(imageId)!.delete(service);
    });
    listing = read;
  }
  return listing;
}

/**
 * A membership as the stored outputs locate it (where create acted), from the command's member
 * list; undefined when the share or the image is gone. Also returns the service it read through.
 */
export async function findMember(
  at: Placement & { imageId: string; memberId: string },
): Promise<{ glance: ImageService; member?: Member }> {
  const glance = await serviceFor(at);
  const listing = await cachedMembers(glance, at.imageId);
  const member = listing === "gone" ? undefined : listing.find((m) => m.memberId === at.memberId);
  return member ? { glance, member } : { glance };
}

/**
 * The membership a read is about. A resource's state names it; a pending create that `pulumi refresh
 * --import-pending-creates <urn> <id>` imports has only its id, `<imageId>/<memberId>` (what an
 * `up` that was killed mid-create leaves), so the id fills in what the state lacks.
 */
export function membershipOf<T extends { imageId?: string; memberId?: string }>(
  id: string,
  props: T,
): T & { imageId: string; memberId: string } {
  const slash = id.indexOf("/");
  return {
    ...props,
    imageId: props.imageId ?? (slash > 0 ? id.slice(0, slash) : id),
    memberId: props.memberId ?? (slash > 0 ? id.slice(slash + 1) : ""),
  };
}

/** After a write to an image, later reads in this command ask Glance again, whoever reads. */
export function forgetMembers(imageId: string): void {
  listings.delete(imageId);
}

/**
 * Runs a write to an image, forgetting its member list before and after: a read made while the
 * write was in flight may have cached the list as it was before.
 */
export async function writing<T>(imageId: string, write: () => Promise<T>): Promise<T> {
  forgetMembers(imageId);
  try {
    return await write();
  } finally {
    forgetMembers(imageId);
  }
}

/** For tests: start afresh, as a new command would. */
export function resetCommand(): void {
  resetStackConfig();
  services.clear();
  listings.clear();
  claimed.clear();
}

// "<imageId>/<memberId>" of the memberships an ImageShare holds in this command
const claimed = new Set<string>();

/**
 * Records that an ImageShare holds these memberships. The engine deletes the resources a program
 * dropped after the program's own steps, in the same plugin process: when a stack moves members
 * from ImageMember resources (or the 0.x component ImageShare's children) to an ImageShare, the
 * ImageShare's create or update claims them first, and the dropped ImageMember's delete then
 * leaves them in Glance.
 */
export function claimMemberships(imageId: string, memberIds: Iterable<string>, through?: { region?: string }): void {
  for (const memberId of memberIds) {
    claimed.add(memberResourceId(imageId, memberId));
    if (through) claimed.add(regional(through.region, imageId, memberId));
  }
}

/**
 * Whether an ImageShare claimed the membership; `through`: only a claim made through an image
 * service of that region counts (an ImageShare's writes record theirs so). An ImageShare's delete
 * asks so: a share renamed without an alias leaves the members the new one took over, while a share
 * replaced into another region still removes its members from the old region's Glance.
 */
export function isClaimed(imageId: string, memberId: string, through?: { region?: string }): boolean {
  return claimed.has(through ? regional(through.region, imageId, memberId) : memberResourceId(imageId, memberId));
}

const regional = (region: string | undefined, imageId: string, memberId: string) =>
  `${region ?? ""}\0${memberResourceId(imageId, memberId)}`;
