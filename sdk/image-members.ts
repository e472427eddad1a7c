import { type ImageMembersError, notJsonError, notShared, type OutcomeCode, statusError } from "./errors";
import type { HttpResponse } from "./http";
import type { Image, Member, MemberStatus } from "./types";

/**
 * Glance v2 image members, as one module (gophercloud's `image/v2/members` layout): URL builders,
 * the statuses each operation accepts, the wire shape turned into the domain type, and what each
 * failure means for that operation.
 */

const enc = encodeURIComponent;
export const imageUrl = (endpoint: string, imageId: string) => `${endpoint}/v2/images/${enc(imageId)}`;
export const membersUrl = (endpoint: string, imageId: string) => `${imageUrl(endpoint, imageId)}/members`;
export const memberUrl = (endpoint: string, imageId: string, memberId: string) => `${membersUrl(endpoint, imageId)}/${enc(memberId)}`;

/**
 * Each call: its method and the statuses that mean its goal is met (gophercloud's `OkCodes`), from
 * Glance's api-ref ("Image members", "Images"). `afterActed` are accepted only when an earlier
 * attempt may have reached Glance and acted before its answer was lost.
 */
interface OperationSpec {
  method: "GET" | "POST" | "PUT" | "DELETE";
  ok: readonly number[];
  afterActed?: readonly number[];
}

export const operations = {
  listMembers: { method: "GET", ok: [200] },
  getMember: { method: "GET", ok: [200] },
  // 200, not 201; a 409 after a lost answer is the member that attempt created
  createMember: { method: "POST", ok: [200], afterActed: [409] },
  // 404: already gone, so the goal is met
  deleteMember: { method: "DELETE", ok: [204, 404] },
  updateMemberStatus: { method: "PUT", ok: [200] },
  getImage: { method: "GET", ok: [200] },
  listImages: { method: "GET", ok: [200] },
} as const satisfies Record<string, OperationSpec>;

export type Operation = keyof typeof operations;

/** Whether an answer meets the operation's goal. */
export function accepts(operation: Operation, res: Pick<HttpResponse, "status" | "maybeActed">): boolean {
  const spec: OperationSpec = operations[operation];
  return spec.ok.includes(res.status) || (res.maybeActed && (spec.afterActed ?? []).includes(res.status));
}

interface MemberBody {
  image_id: string;
  member_id: string | number;
  status: MemberStatus;
  created_at: string;
  updated_at: string;
}

export function toMember(body: MemberBody): Member {
  // Glance echoes a numeric member id as a number on create (measured on Glance 25): ids are strings here.
  return {
    imageId: body.image_id,
    memberId: String(body.member_id),
    status: body.status,
    createdAt: body.created_at,
    updatedAt: body.updated_at,
  };
}

export function toImage(body: Record<string, unknown>): Image {
  const image: Image = {
    id: String(body.id),
    owner: String(body.owner ?? ""),
    visibility: String(body.visibility ?? ""),
    status: String(body.status ?? ""),
  };
  if (typeof body.name === "string") image.name = body.name;
  return image;
}

export function parseJson<T>(res: HttpResponse, method: string, url: string): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw notJsonError(method, url, res);
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

type Hint = (ctx: FailureContext) => string | undefined;

const tokenRefusedTwice: Hint = () => "the token was refused twice: check that Keystone and Glance agree (same Keystone, clocks in sync)";
const imageNotVisible: Hint = ({ imageId, projectId }) => `image ${imageId} does not exist or is not visible to project ${projectId}`;
const ownerOnly: Hint = ({ imageId, projectId, image }) => {
  if (image && image.visibility !== "shared") {
    return `image ${imageId} has visibility "${image.visibility}": only images with visibility "shared" have members (openstack image set --shared ${imageId})`;
  }
  if (image && image.owner !== projectId) {
    return `image ${imageId} is owned by project ${image.owner}, not by this credential's project ${projectId}: only the owner adds or removes members`;
  }
  return `check that image ${imageId} has visibility "shared" and that this credential's project (${projectId}) owns it and has the member role`;
};

/**
 * What to do about a failed call, by operation and status. Glance's wording differs between policy
 * modes, so only the status counts; 401 means a second refusal (the first renews the token).
 */
const hints: Record<Operation, Partial<Record<number, Hint>>> = {
  listMembers: {
    401: tokenRefusedTwice,
    403: ({ imageId }) => `check that image ${imageId} has visibility "shared": only shared images have members`,
    404: imageNotVisible,
  },
  getMember: {
    401: tokenRefusedTwice,
    404: ({ imageId, memberId }) => `project ${memberId} is not a member of image ${imageId}, or the image is not visible to this project`,
  },
  createMember: {
    401: tokenRefusedTwice,
    403: ownerOnly,
    404: imageNotVisible,
    409: ({ imageId, memberId }) => `project ${memberId} is already a member of image ${imageId}`,
    413: ({ imageId }) =>
      `image ${imageId} has reached Glance's member quota (image_member_quota, 128 by default): remove members or ask the operator to raise it`,
  },
  deleteMember: { 401: tokenRefusedTwice, 403: ownerOnly },
  updateMemberStatus: {
    401: tokenRefusedTwice,
    403: ({ memberId }) =>
      `only the member project itself (${memberId}) may set its status: use that project's credentials, not the image owner's`,
    404: ({ imageId, memberId }) => `${notShared(imageId, memberId)} (yet): the image owner must add it as a member first`,
  },
  getImage: { 401: tokenRefusedTwice, 404: imageNotVisible },
  listImages: {
    401: tokenRefusedTwice,
    403: ({ projectId }) =>
      `this credential's project (${projectId}) may not list images: it needs a role such as reader or member on the project`,
  },
};

export const hintFor = (status: number, ctx: FailureContext): string | undefined => hints[ctx.operation][status]?.(ctx);

/**
 * The outcome a caller branches on, by operation and status (the status alone: Glance's wording
 * differs between policy modes); any other refused status is `ERR_HTTP`. Glance answers 404 alike
 * for an image that is not there and one this project may not see, and, where the URL names a
 * member, for a member that is not there: so a 404 is "image not found" where the URL names only
 * the image, "not shared" where it names the member too.
 */
const outcomes: Record<Operation, Partial<Record<number, OutcomeCode>>> = {
  listMembers: { 403: "ERR_FORBIDDEN", 404: "ERR_IMAGE_NOT_FOUND" },
  getMember: { 403: "ERR_FORBIDDEN", 404: "ERR_NOT_SHARED" },
  createMember: { 403: "ERR_FORBIDDEN", 404: "ERR_IMAGE_NOT_FOUND", 409: "ERR_ALREADY_SHARED", 413: "ERR_MEMBER_QUOTA" },
  deleteMember: { 403: "ERR_FORBIDDEN" },
  updateMemberStatus: { 403: "ERR_FORBIDDEN", 404: "ERR_NOT_SHARED" },
  getImage: { 403: "ERR_FORBIDDEN", 404: "ERR_IMAGE_NOT_FOUND" },
  listImages: { 403: "ERR_FORBIDDEN" },
};

export const outcomeFor = (operation: Operation, status: number): OutcomeCode | undefined => outcomes[operation][status];

/** The error for a status the operation does not accept. */
export function failure(res: HttpResponse, url: string, ctx: FailureContext): ImageMembersError {
  return statusError(operations[ctx.operation].method, url, res, hintFor(res.status, ctx), outcomeFor(ctx.operation, res.status));
}
