import type * as pulumi from "@pulumi/pulumi";
import { changed } from "./checks";

/** Where a resource acts, as its program gives it. */
export interface PlacementArgs {
  /** A clouds.yaml entry to act as; default: stack config `openstack:*`, then `OS_CLOUD`, then `OS_*`. A change updates in place. */
  cloud?: pulumi.Input<string>;
  /** The image service's region; default: the cloud's. A change replaces. */
  region?: pulumi.Input<string>;
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
