import type * as pulumi from "@pulumi/pulumi";
import { openImageService } from "../sdk/image-service";
import { isHttpError } from "../sdk/errors";
import type { StackConfig } from "../sdk/settings";
import type { ImageService, Member } from "../sdk/types";

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

export interface Placement {
  cloud?: string;
  region?: string;
}

const services = new Map<string, Promise<ImageService>>();

/** One ImageService per (cloud, region) for the whole command; a failed open is not cached. */
export function serviceFor(where: Placement): Promise<ImageService> {
  const key = JSON.stringify([where.cloud ?? null, where.region ?? null, stackConfig]);
  let service = services.get(key);
  if (!service) {
    service = openImageService({ ...(where.cloud ? { cloud: where.cloud } : {}), ...(where.region ? { region: where.region } : {}) }, { stackConfig });
    services.set(key, service);
    service.catch(() => services.delete(key));
  }
  return service;
}

/** The clouds.yaml entry in use when the resource names none (stack config, then OS_CLOUD). */
export function resolvedCloudName(cloud: string | undefined): string | undefined {
  return cloud ?? stackConfig["openstack:cloud"] ?? (process.env.OS_CLOUD || undefined);
}

// ---- the per-command member-list cache (DESIGN.md "HTTP behaviour") --------------------------------

type Listing = Member[] | "gone";
const listings = new Map<string, Promise<Listing>>();
const listingKey = (service: ImageService, imageId: string) => `${service.endpoint} ${service.projectId} ${imageId}`;

/**
 * The members of an image as this credential sees them (a consumer sees only itself), fetched once
 * per command: refreshing N members of one image costs one request. "gone" when the image is not
 * there (or no longer visible to this project).
 */
export function cachedMembers(service: ImageService, imageId: string): Promise<Listing> {
  const key = listingKey(service, imageId);
  let listing = listings.get(key);
  if (!listing) {
    listing = service.listMembers(imageId).catch((e: unknown) => {
      if (isHttpError(e, 404)) return "gone" as const;
      throw e;
    });
    listings.set(key, listing);
    listing.catch(() => listings.delete(key));
  }
  return listing;
}

/** After a write to an image, later reads in this command ask Glance again. */
export function forgetMembers(service: ImageService, imageId: string): void {
  listings.delete(listingKey(service, imageId));
}

/** For tests: start afresh, as a new command would. */
export function resetContext(): void {
  stackConfig = {};
  services.clear();
  listings.clear();
}
