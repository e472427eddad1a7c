import type { HttpResponse } from "./http";
import { responseMessage } from "./messages";

/**
 * One error class with a stable `code` for every failure the SDK reports, and the only module that
 * constructs it: each kind of failure has one function below, so the same failure reads the same
 * wherever it happens. Provider code runs in a separate plugin process and may load a second copy of
 * this module, so the guards match by `name` and `code`, not only `instanceof`.
 *
 * Nothing secret is ever stored here: messages are built from the method, the URL without userinfo
 * or query, the status and the server's cleaned message; the original error is kept only as a
 * sanitized `cause`.
 */
export type ErrorCode = "ERR_HTTP" | "ERR_CONFIG" | "ERR_AUTH" | "ERR_VALIDATION" | "ERR_NETWORK" | OutcomeCode;

/**
 * The outcomes of a Glance call a caller branches on (docs/errors.md). Each is told by the operation
 * and the status alone, never by Glance's wording, and keeps the answer's `status`, so
 * `isHttpError(e, 404)` still matches `ERR_NOT_SHARED`.
 */
export type OutcomeCode = "ERR_NOT_SHARED" | "ERR_ALREADY_SHARED" | "ERR_MEMBER_QUOTA" | "ERR_IMAGE_NOT_FOUND" | "ERR_FORBIDDEN";

export interface ImageMembersErrorDetails {
  hint?: string;
  method?: string;
  path?: string;
  status?: number;
  requestId?: string;
  cause?: unknown;
}

export class ImageMembersError extends Error {
  override readonly name = "ImageMembersError";
  readonly code: ErrorCode;
  /** What to do about it; also appended to `message`. */
  readonly hint?: string;
  readonly method?: string;
  /** The URL (or file) the failure concerns; never carries credentials. */
  readonly path?: string;
  readonly status?: number;
  readonly requestId?: string;
  /** The failure without the hint. */
  readonly detail: string;

  constructor(code: ErrorCode, detail: string, details: ImageMembersErrorDetails = {}) {
    super(details.hint ? `${detail} — ${details.hint}` : detail);
    this.code = code;
    this.detail = detail;
    if (details.hint !== undefined) this.hint = details.hint;
    if (details.method !== undefined) this.method = details.method;
    if (details.path !== undefined) this.path = details.path;
    if (details.status !== undefined) this.status = details.status;
    if (details.requestId !== undefined) this.requestId = details.requestId;
    if (details.cause !== undefined) {
      // non-enumerable: a serialized error shows the fields above, not a nested error object
      Object.defineProperty(this, "cause", { value: details.cause, enumerable: false, writable: true, configurable: true });
    }
  }
}

export function isImageMembersError(error: unknown): error is ImageMembersError {
  return (
    error instanceof ImageMembersError ||
    (typeof error === "object" &&
      error !== null &&
      (error as { name?: unknown }).name === "ImageMembersError" &&
      typeof (error as { code?: unknown }).code === "string")
  );
}

/**
 * An error about an answer from Keystone or Glance (optionally: with this status), whatever its code:
 * every error that carries a `status`, `ERR_HTTP` and the outcomes alike (and `ERR_AUTH` for a refusal).
 */
export function isHttpError(error: unknown, status?: number): error is ImageMembersError & { status: number } {
  return isImageMembersError(error) && typeof error.status === "number" && (status === undefined || error.status === status);
}

/** An error with this code; for the provider's branches on an outcome (not exported by the package). */
export function hasCode<C extends ErrorCode>(error: unknown, code: C): error is ImageMembersError & { code: C } {
  return isImageMembersError(error) && error.code === code;
}

// ---- what the constructors below are given --------------------------------------------------------

/** An answer as the transport returns it. */
type Answer = Pick<HttpResponse, "status" | "headers" | "body" | "attempts">;

/** The URL as it may appear in an error: no userinfo, no query. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}

export function header(res: Pick<Answer, "headers">, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const tries = (attempts: number) => (attempts > 1 ? ` after ${attempts} attempts` : "");

/** The fields every error about one answer carries. */
const about = (method: string, url: string, res: Answer) => ({
  method,
  path: displayUrl(url),
  status: res.status,
  requestId: header(res, "x-openstack-request-id"),
});

// ---- settings and inputs ------------------------------------------------------------------------------

export const configError = (detail: string, hint?: string, path?: string) => new ImageMembersError("ERR_CONFIG", detail, { hint, path });

export const validationError = (detail: string, hint?: string) => new ImageMembersError("ERR_VALIDATION", detail, { hint });

// ---- the wire -----------------------------------------------------------------------------------------

const tlsCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL|EPROTO/;

/** No answer: refused, reset, timed out, TLS refused. */
export function networkError(method: string, url: string, error: Error, attempts: number): ImageMembersError {
  const code = (error as { code?: string }).code ?? "error";
  const tls = tlsCodes.test(code);
  const stopped = code === "ERR_HTTP_CLIENT_STOPPED";
  const what =
    code === "ETIMEDOUT"
      ? "timed out"
      : tls
        ? `failed TLS verification (${code})`
        : stopped
          ? `failed: the HTTP client's worker thread stopped (${error.message.split("\n")[0]})`
          : `failed: ${code}`;
  return new ImageMembersError("ERR_NETWORK", `${method} ${displayUrl(url)} ${what}${tries(attempts)}`, {
    method,
    path: displayUrl(url),
    hint: tls
      ? "set cacertFile (clouds.yaml cacert, OS_CACERT) to the CA that signed the server's certificate, or insecure: true to skip verification"
      : code === "ETIMEDOUT"
        ? "the server did not answer in time; raise timeoutSeconds if it is just slow"
        : stopped
          ? "the request may have been sent: a refresh shows what the server did"
          : "check that the URL is right and the service is up",
    cause: sanitized(error),
  });
}

/** Keeps what explains a network failure; drops the HTTP client's request options (they hold the token header). */
function sanitized(error: Error): Error {
  const e = new Error(error.message.split("\n")[0]);
  const code = (error as { code?: string }).code;
  if (code) (e as { code?: string }).code = code;
  return e;
}

/**
 * A status the operation does not accept; `hint` and `outcome` come from the operation's tables
 * (sdk/image-members.ts). A 401 here is a second refusal: `ERR_AUTH`.
 */
export function statusError(method: string, url: string, res: Answer, hint?: string, outcome?: OutcomeCode): ImageMembersError {
  const message = responseMessage(res.body);
  return new ImageMembersError(
    res.status === 401 ? "ERR_AUTH" : (outcome ?? "ERR_HTTP"),
    `${method} ${displayUrl(url)} failed with ${res.status}${tries(res.attempts)}${message ? `: ${message}` : ""}`,
    { hint, ...about(method, url, res) },
  );
}

/** An accepted status whose body is not JSON. */
export function notJsonError(method: string, url: string, res: Answer, hint?: string): ImageMembersError {
  return new ImageMembersError("ERR_HTTP", `${method} ${displayUrl(url)} answered ${res.status} with a body that is not JSON`, {
    hint,
    ...about(method, url, res),
  });
}

/** A JSON answer without what the API reference says it holds (`what`: "without a member list"). */
export function unexpectedAnswer(method: string, url: string, res: Answer, what: string, hint?: string): ImageMembersError {
  return new ImageMembersError("ERR_HTTP", `${method} ${displayUrl(url)} answered ${res.status} ${what}`, {
    hint,
    ...about(method, url, res),
  });
}

// ---- Keystone -----------------------------------------------------------------------------------------

/**
 * Keystone refused the credentials (401, 403, 404: `ERR_AUTH`) or failed (`ERR_HTTP`);
 * `credentials` names them without a secret: "the password credentials from <source>".
 */
export function authError(url: string, res: Answer, credentials: string, hint: string): ImageMembersError {
  const message = responseMessage(res.body);
  const keystone = `Keystone at ${displayUrl(url).replace(/\/auth\/tokens$/, "")}`;
  const answer = `${res.status}${tries(res.attempts)}${message ? ` ${message}` : ""}`;
  return [401, 403, 404].includes(res.status)
    ? new ImageMembersError("ERR_AUTH", `${keystone} refused ${credentials}: ${answer}`, { hint, ...about("POST", url, res) })
    : new ImageMembersError("ERR_HTTP", `${keystone} answered ${answer} while authenticating with ${credentials}`, {
        hint: "Keystone is unavailable or failing: retry later or check the service",
        ...about("POST", url, res),
      });
}

export function unscopedTokenError(url: string, res: Answer): ImageMembersError {
  return new ImageMembersError("ERR_AUTH", `Keystone at ${displayUrl(url)} issued a token without a project scope`, {
    hint: "Glance needs a project-scoped token: give a project (or an application credential made for one)",
    ...about("POST", url, res),
  });
}

// ---- memberships ----------------------------------------------------------------------------------

/** What a consumer is told while the producer has not shared the image with it (yet). */
export const notShared = (imageId: string, memberId: string | undefined) => `image ${imageId} is not shared with project ${memberId}`;

/** A MemberAcceptance whose image is still not shared (after `waitedSeconds`, when it waited). */
export function notSharedError(
  resource: string,
  imageId: string,
  memberId: string,
  waitedSeconds: number,
  cause: ImageMembersError,
): ImageMembersError {
  return new ImageMembersError(
    "ERR_NOT_SHARED",
    `${resource}: ${notShared(imageId, memberId)}${waitedSeconds > 0 ? ` after waiting ${waitedSeconds} s` : ""}`,
    {
      hint:
        waitedSeconds > 0
          ? "check the image id and that the producer's stack adds this project as a member"
          : "the producer must add this project as a member first; set waitForShareSeconds to wait for it",
      method: cause.method,
      path: cause.path,
      status: 404,
      requestId: cause.requestId,
    },
  );
}

/** A create that met a membership it may not take over. */
export function alreadySharedError(
  resource: string,
  imageId: string,
  memberId: string,
  status: string,
  since: string,
  cause: ImageMembersError,
): ImageMembersError {
  return new ImageMembersError(
    "ERR_ALREADY_SHARED",
    `${resource}: image ${imageId} is already shared with project ${memberId} (a membership this stack did not create, ${status} since ${since})`,
    {
      hint: `set adoptExisting: true on this ${resource} to take it over, or remove the membership first (Pulumi cannot import dynamic resources)`,
      method: cause.method,
      path: cause.path,
      status: 409,
      requestId: cause.requestId,
    },
  );
}

/**
 * An ImageShare that found, in the member list it reads before any write, members its state does not
 * hold and may not take over: answered by their projects, or any at all with `adoptExisting: false`.
 * Nothing was written.
 */
export function existingMembersError(
  resource: string,
  imageId: string,
  found: { memberId: string; status: string }[],
  adoptExisting: boolean | undefined,
): ImageMembersError {
  const listed =
    found
      .slice(0, 10)
      .map((m) => `${m.memberId} (${m.status})`)
      .join(", ") + (found.length > 10 ? `, and ${found.length - 10} more` : "");
  return new ImageMembersError(
    "ERR_ALREADY_SHARED",
    `${resource}: image ${imageId} already has ${found.length} of these members, which this stack's state does not hold: ${listed}; nothing was changed`,
    {
      hint:
        adoptExisting === false
          ? "adoptExisting: false refuses every membership that exists: remove them from the image first, or leave adoptExisting unset to take over the pending ones"
          : "if this stack made them (an ImageShare from 0.1.x, or ImageMember resources moved into this ImageShare), set adoptExisting: true " +
            "on the ImageShare and run pulumi up again: it takes them over without removing any, and the resources the program dropped leave " +
            "them in Glance. Otherwise they belong to someone else: take them out of memberIds, or remove them from the image first",
      status: 409,
    },
  );
}

/** A member list that names the image's owner: a project is never a member of its own image. */
export const ownerListedError = (resource: string, projectId: string) =>
  validationError(
    `${resource}: memberIds lists ${projectId}, the project that owns the image (the credential's project)`,
    "remove it from memberIds: an owner sees its own image without being a member",
  );

// ---- image lists --------------------------------------------------------------------------------------

/**
 * Glance's paged image list misbehaving over several answers: no end, a marker that keeps
 * vanishing (`last`: its final refusal), lists that contradict each other.
 */
export function imageListError(url: string, detail: string, hint?: string, last?: ImageMembersError): ImageMembersError {
  return new ImageMembersError("ERR_HTTP", `GET ${displayUrl(url)}: ${detail}`, {
    hint,
    method: "GET",
    path: displayUrl(url),
    status: last?.status,
    requestId: last?.requestId,
  });
}
