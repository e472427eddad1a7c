import { type ImageMembersError, imageListError, notJsonError, unexpectedAnswer, validationError } from "./errors";
import type { HttpResponse } from "./http";
import { type MemberStatus, memberStatuses, type SharedImage, type SharedImageFilter } from "./types";
import { checkId } from "./validation";

/**
 * The images shared with a project, from Glance's image list (`GET /v2/images`).
 *
 * Glance does not say a member's status in an image record: a list filtered by `member_status` says
 * it. So the status of every image comes from which list it is in: `member_status=all` gives the set
 * (one list, so an image whose status changes while the lists are read is never lost), and the
 * `pending` and `rejected` lists say which of them are not accepted. One status asked for is one list.
 * Each list is paged (`limit`, `marker`): the requests are bounded by pages, never one per image.
 *
 * What Glance does that this module works around (glance 25, `glance/api/v2/images.py`):
 * - `visibility=shared` lists the project's own shared images too, whatever `member_status` says:
 *   they are dropped here by owner.
 * - the `next` link repeats the query from a plain dict of the request's parameters, so a repeated
 *   `tag` comes back once: only its `marker` is taken, the query is always ours.
 * - a page holding exactly `limit` images has a `next` link even when it was the last one (one
 *   more, empty, page).
 * - a marker whose image was deleted between two pages is a 400: the list starts again.
 * - for a credential with the admin role, `member_status` filters nothing (every shared image of the
 *   cloud is in every list): an image in both the pending and the rejected list is refused as such.
 */

/** Images per page asked for; Glance caps it at its `api_limit_max` (1000 by default). */
export const PAGE_LIMIT = 1000;
/** A list that is still going after this many pages is not converging (a server repeating itself). */
const MAX_PAGES = 10_000;
/** How many times a list starts again after its marker vanished (an image deleted while paging). */
const MARKER_RESTARTS = 3;

export type ListStatus = MemberStatus | "all";

export interface SharedFilter {
  owners?: string[];
  memberStatus: ListStatus;
  tags: string[];
}

/** Checks the filter before any request; every problem at once, naming the field. */
export function checkSharedFilter(filter: SharedImageFilter | undefined): SharedFilter {
  const problems: string[] = [];
  const f = (filter ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(f)) {
    if (!["owners", "memberStatus", "tags"].includes(key) && f[key] !== undefined)
      problems.push(`${key} is not a filter of listSharedImages (it has: owners, memberStatus, tags)`);
  }
  const owners = f.owners;
  if (owners !== undefined) {
    if (!Array.isArray(owners)) problems.push("owners must be a list of project ids");
    else if (owners.length === 0) problems.push("owners must list at least one project id (leave it out for every owner)");
    else
      owners.forEach((o, i) => {
        const problem = checkId(`owners[${i}]`, o);
        if (problem) problems.push(problem);
      });
  }
  const status = f.memberStatus ?? "all";
  if (status !== "all" && !(memberStatuses as readonly unknown[]).includes(status)) {
    const lower = typeof status === "string" ? status.trim().toLowerCase() : undefined;
    const hint = lower && (lower === "all" || (memberStatuses as readonly string[]).includes(lower)) ? `; did you mean "${lower}"?` : "";
    problems.push(
      `memberStatus ${JSON.stringify(status) ?? String(status)} is not allowed: use "all", ${memberStatuses.map((s) => `"${s}"`).join(", ")}${hint}`,
    );
  }
  const tags = f.tags ?? [];
  if (!Array.isArray(tags)) problems.push("tags must be a list of strings");
  else
    tags.forEach((t, i) => {
      if (typeof t !== "string" || t.trim() === "")
        problems.push(`tags[${i}] must be a non-empty string, not ${JSON.stringify(t) ?? String(t)}`);
    });
  if (problems.length) throw validationError(`listSharedImages: ${problems.join("; ")}`);
  return {
    ...(owners === undefined ? {} : { owners: [...new Set(owners as string[])] }),
    memberStatus: status as ListStatus,
    tags: [...new Set(tags as string[])],
  };
}

/** The first page's URL of one list. One owner is filtered by Glance; several, here. */
export function sharedImagesUrl(endpoint: string, filter: SharedFilter, status: ListStatus, marker?: string): string {
  const q = new URLSearchParams({ visibility: "shared", member_status: status, limit: String(PAGE_LIMIT) });
  if (filter.owners?.length === 1) q.set("owner", filter.owners[0]!);
  for (const tag of filter.tags) q.append("tag", tag);
  if (marker !== undefined) q.set("marker", marker);
  return `${endpoint}/v2/images?${q}`;
}

export interface ImageRecord {
  id: string;
  name?: string | null;
  owner?: string | null;
  tags?: string[];
  created_at?: string;
}

export interface ImagePage {
  images: ImageRecord[];
  /** The marker of the next page, when Glance says there is one. */
  nextMarker?: string;
}

export function parsePage(res: HttpResponse, url: string): ImagePage {
  let body: { images?: unknown; next?: unknown };
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    throw notJsonError("GET", url, res);
  }
  if (!Array.isArray(body.images)) throw unexpectedAnswer("GET", url, res, "without an image list");
  const page: ImagePage = { images: body.images as ImageRecord[] };
  if (typeof body.next === "string" && body.next) {
    const marker = new URL(body.next, "http://next.invalid").searchParams.get("marker");
    if (!marker) throw unexpectedAnswer("GET", url, res, "with a next link that has no marker");
    page.nextMarker = marker;
  }
  return page;
}

/** Every page of one list; `get` sends one request. A marker that vanished starts the list again. */
export async function allPages(
  first: (marker?: string) => string,
  /** `markerGone`: Glance's 400 for a page whose marker image was deleted. */
  get: (url: string) => Promise<{ page?: ImagePage; markerGone?: ImageMembersError }>,
): Promise<ImageRecord[]> {
  for (let restart = 0; ; restart++) {
    const images: ImageRecord[] = [];
    const seen = new Set<string>();
    let marker: string | undefined;
    for (let pages = 1; ; pages++) {
      const url = first(marker);
      const answer = await get(url);
      if (answer.markerGone || !answer.page) {
        if (restart >= MARKER_RESTARTS) {
          throw imageListError(
            url,
            `the page marker's image was deleted while the list was read, ${restart + 1} times in a row (Glance answered 400)`,
            "images are being deleted faster than the list can be read; try again",
            answer.markerGone,
          );
        }
        break; // start again from the first page
      }
      const page = answer.page;
      images.push(...page.images);
      if (page.nextMarker === undefined || page.images.length === 0) return images;
      if (seen.has(page.nextMarker) || pages >= MAX_PAGES) {
        throw imageListError(
          url,
          `Glance's image list does not end (${seen.has(page.nextMarker) ? `marker ${page.nextMarker} came back` : "still going"} after ${pages} pages)`,
        );
      }
      seen.add(page.nextMarker);
      marker = page.nextMarker;
    }
  }
}

/** The lists to read for a status: the set, then what says which are not accepted. */
export function listsFor(status: ListStatus): ListStatus[] {
  return status === "all" ? ["all", "pending", "rejected"] : [status];
}

/** Joins the lists into shared images: not the project's own, of the owners asked for, with a status. */
export function joinLists(projectId: string, filter: SharedFilter, lists: Map<ListStatus, ImageRecord[]>): SharedImage[] {
  const statusOf = new Map<string, MemberStatus>();
  for (const s of ["rejected", "pending"] as const) {
    for (const image of lists.get(s) ?? []) {
      if (statusOf.has(image.id) && image.owner !== projectId) {
        // Glance filters by member status only for regular users: an admin sees every shared image in every list
        throw imageListError(
          "/v2/images",
          `image ${image.id} is listed as both pending and rejected for project ${projectId}`,
          "Glance ignores member_status for credentials with the admin role (it shows them every shared image): list with a member project's own credentials, or try again if the status was being changed",
        );
      }
      statusOf.set(image.id, s);
    }
  }
  const base = lists.get(filter.memberStatus) ?? [];
  const owners = filter.owners ? new Set(filter.owners) : undefined;
  const out: SharedImage[] = [];
  const ids = new Set<string>();
  for (const image of base) {
    const owner = String(image.owner ?? "");
    if (!image.id || ids.has(image.id) || owner === projectId || (owners && !owners.has(owner))) continue;
    ids.add(image.id);
    const memberStatus: MemberStatus = filter.memberStatus === "all" ? (statusOf.get(image.id) ?? "accepted") : filter.memberStatus;
    const shared: SharedImage = {
      imageId: image.id,
      owner,
      memberStatus,
      tags: Array.isArray(image.tags) ? [...image.tags].sort() : [],
      createdAt: String(image.created_at ?? ""),
    };
    if (typeof image.name === "string") shared.name = image.name;
    out.push(shared);
  }
  return out;
}
