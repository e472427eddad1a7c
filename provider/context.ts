import type * as pulumi from "@pulumi/pulumi";
import { openImageService } from "../sdk/image-service";
import { isHttpError } from "../sdk/errors";
import type { StackConfig } from "../sdk/settings";
import type { ImageService, Member } from "../sdk/types";
import { changed } from "./checks";

/**
 * What the plugin process keeps for the length of one Pulumi command: the stack config that
 * `configure()` received, one ImageService per (cloud, region), and the member lists read so far.
 *
 * Inside the plugin `new pulumi.Config("openstack")` sees nothing under the real engine (its
 * PULUMI_CONFIG holds only `pulumi-nodejs:*` keys), so stack config arrives only through configure().
 */

/** The stack config keys the provider reads (the `@pulumi/openstack` names). */
export const stackConfigKeys = [
  "cloud", "authUrl", "userName", "userId", "password", "tenantName", "tenantId", "userDomainName", "userDomainId",
  "projectDomainName", "projectDomainId", "applicationCredentialId", "applicationCredentialName",
  "applicationCredentialSecret", "token", "defaultDomain", "authType", "region", "endpointType", "endpointOverrides",
  "cacertFile", "insecure",
].map((k) => `openstack:${k}`);

let stackConfig: StackConfig = {};

export function configure(config: Pick<pulumi.dynamic.Config, "get">): void {
  const values: Record<string, string> = {};
  for (const key of stackConfigKeys) {
    const v = config.get(key);
    if (v !== undefined && v !== "") values[key] = v;
  }
  stackConfig = values;
}

export function currentStackConfig(): StackConfig {
  return stackConfig;
}

/**
 * Where a resource acts: its own `cloud` and `region` inputs, nothing resolved. Outputs keep the
 * `cloud` input as given, so read and delete open the service exactly as create did (an entry name
 * resolved from `openstack:cloud` or OS_CLOUD would drop the stack config's overrides).
 */
export interface Placement {
  cloud?: string;
  region?: string;
}

/** Where an update acts: an input left unset is what create resolved (act where create did). */
export function placementOf<T extends Placement>(news: T, olds: Placement): T {
  return { ...news, cloud: news.cloud ?? olds.cloud, region: news.region ?? olds.region };
}

/** Diff of the placement: a new region is another image service (replace); a new cloud, other
 *  credentials for the same membership (update). An unset input keeps what create resolved. */
export function placementDiff(news: Placement, olds: Placement): { replaces: string[]; updates: string[] } {
  return {
    replaces: changed(news.region, olds.region) ? ["region"] : [],
    updates: changed(news.cloud, olds.cloud) ? ["cloud"] : [],
  };
}

const services = new Map<string, Promise<ImageService>>();

/** One ImageService per (cloud, region) for the whole command; a failed open is not cached. */
export function serviceFor(where: Placement): Promise<ImageService> {
  const key = JSON.stringify([where.cloud ?? null, where.region ?? null, stackConfig]);
  let service = services.get(key);
  if (!service) {
    const opened = openImageService({ ...(where.cloud ? { cloud: where.cloud } : {}), ...(where.region ? { region: where.region } : {}) }, { stackConfig });
    services.set(key, opened);
    opened.catch(() => {
      if (services.get(key) === opened) services.delete(key);
    });
    service = opened;
  }
  return service;
}

// ---- the per-command member-list cache (README "Guarantees": few requests) --------------------------------

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
  if (!byService) listings.set(imageId, (byService = new Map()));
  let listing = byService.get(service);
  if (!listing) {
    const read = service.listMembers(imageId).catch((e: unknown) => {
      if (isHttpError(e, 404)) return "gone" as const;
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
export async function findMember(at: Placement & { imageId: string; memberId: string }): Promise<{ glance: ImageService; member?: Member }> {
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
export function membershipOf<T extends { imageId?: string; memberId?: string }>(id: string, props: T): T & { imageId: string; memberId: string } {
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
export function resetContext(): void {
  stackConfig = {};
  services.clear();
  listings.clear();
}
