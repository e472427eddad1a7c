import { ImageMembersError } from "./errors";
import { displayUrl, type HttpResponse } from "./http";
import { header } from "./keystone";
import { responseMessage } from "./messages";
import type { Image, Member, MemberStatus } from "./types";

/**
 * Glance v2 image members, as one module (gophercloud's `image/v2/members` layout): URL builders,
 * the status each operation expects, the wire shape turned into the domain type, and what each
 * failure means for that operation.
 */

const enc = encodeURIComponent;
export const imageUrl = (endpoint: string, imageId: string) => `${endpoint}/v2/images/${enc(imageId)}`;
export const membersUrl = (endpoint: string, imageId: string) => `${imageUrl(endpoint, imageId)}/members`;
export const memberUrl = (endpoint: string, imageId: string, memberId: string) => `${membersUrl(endpoint, imageId)}/${enc(memberId)}`;

export type Operation = "listMembers" | "getMember" | "createMember" | "deleteMember" | "updateMemberStatus" | "getImage" | "listImages";

/** The success status of each call (Glance api-ref, "Image members"): create answers 200, not 201. */
export const expectedStatus: Record<Operation, number> = {
  listMembers: 200,
  getMember: 200,
  createMember: 200,
  deleteMember: 204,
  updateMemberStatus: 200,
  getImage: 200,
  listImages: 200,
};

interface MemberBody {
  image_id: string;
  member_id: string | number;
  status: MemberStatus;
  created_at: string;
  updated_at: string;
}

export function toMember(body: MemberBody): Member {
  // Glance echoes a numeric member id as a number on create (measured on Glance 25): ids are strings here.
  return { imageId: body.image_id, memberId: String(body.member_id), status: body.status, createdAt: body.created_at, updatedAt: body.updated_at };
}

export function toImage(body: Record<string, unknown>): Image {
  const image: Image = { id: String(body.id), owner: String(body.owner ?? ""), visibility: String(body.visibility ?? ""), status: String(body.status ?? "") };
  if (typeof body.name === "string") image.name = body.name;
  return image;
}

export function parseJson<T>(res: HttpResponse, method: string, url: string): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new ImageMembersError("ERR_HTTP", `${method} ${displayUrl(url)} answered ${res.status} with a body that is not JSON`, {
      method, path: displayUrl(url), status: res.status, requestId: header(res, "x-openstack-request-id"),
    });
  }
}

export interface FailureContext {
  operation: Operation;
  imageId: string;
  memberId?: string;
  /** The credential's project. */
  projectId: string;
  /** Filled in by createMember after a 403, from the image record when it is visible. */
  image?: Image;
}

/** What to do about a failed call; Glance's wording differs between policy modes, so only the status counts. */
export function hintFor(status: number, ctx: FailureContext): string | undefined {
  const { operation: op, imageId, memberId, projectId } = ctx;
  if (op === "listImages") {
    if (status === 403) return `this credential's project (${projectId}) may not list images: it needs a role such as reader or member on the project`;
    if (status === 401) return "the token was refused twice: check that Keystone and Glance agree (same Keystone, clocks in sync)";
    return undefined;
  }
  switch (status) {
    case 401:
      return "the token was refused twice: check that Keystone and Glance agree (same Keystone, clocks in sync)";
    case 403:
      if (op === "createMember" || op === "deleteMember") {
        if (ctx.image && ctx.image.visibility !== "shared") {
          return `image ${imageId} has visibility "${ctx.image.visibility}": only images with visibility "shared" have members (openstack image set --shared ${imageId})`;
        }
        if (ctx.image && ctx.image.owner !== projectId) {
          return `image ${imageId} is owned by project ${ctx.image.owner}, not by this credential's project ${projectId}: only the owner adds or removes members`;
        }
        return `check that image ${imageId} has visibility "shared" and that this credential's project (${projectId}) owns it and has the member role`;
      }
      if (op === "updateMemberStatus") {
        return `only the member project itself (${memberId}) may set its status: use that project's credentials, not the image owner's`;
      }
      if (op === "listMembers") return `check that image ${imageId} has visibility "shared": only shared images have members`;
      return undefined;
    case 404:
      if (op === "updateMemberStatus") {
        return `image ${imageId} is not shared with project ${memberId} (yet): the image owner must add it as a member first`;
      }
      if (op === "getMember") return `project ${memberId} is not a member of image ${imageId}, or the image is not visible to this project`;
      return `image ${imageId} does not exist or is not visible to project ${projectId}`;
    case 409:
      return op === "createMember" ? `project ${memberId} is already a member of image ${imageId}` : undefined;
    case 413:
      return `image ${imageId} has reached Glance's member quota (image_member_quota, 128 by default): remove members or ask the operator to raise it`;
    default:
      return undefined;
  }
}

export function httpError(res: HttpResponse, method: string, url: string, ctx: FailureContext): ImageMembersError {
  const message = responseMessage(res.body);
  const path = displayUrl(url);
  return new ImageMembersError(res.status === 401 ? "ERR_AUTH" : "ERR_HTTP",
    `${method} ${path} failed with ${res.status}${res.attempts > 1 ? ` after ${res.attempts} attempts` : ""}${message ? `: ${message}` : ""}`,
    { hint: hintFor(res.status, ctx), method, path, status: res.status, requestId: header(res, "x-openstack-request-id") });
}
