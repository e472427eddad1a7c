/**
 * One error class with a stable `code` for every failure the SDK reports. Provider code runs in a
 * separate plugin process and may load a second copy of this module, so the guards match by `name`
 * and `code`, not only `instanceof`.
 *
 * Nothing secret is ever stored here: messages are built from the method, the URL without userinfo,
 * the status and Glance's cleaned message; the original error is kept only as a sanitized `cause`.
 */
export type ErrorCode = "ERR_HTTP" | "ERR_CONFIG" | "ERR_AUTH" | "ERR_VALIDATION" | "ERR_NETWORK";

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
  return error instanceof ImageMembersError
    || (typeof error === "object" && error !== null && (error as { name?: unknown }).name === "ImageMembersError"
      && typeof (error as { code?: unknown }).code === "string");
}

/** An answer from Keystone or Glance with an unexpected status (optionally: this status). */
export function isHttpError(error: unknown, status?: number): error is ImageMembersError & { status: number } {
  return isImageMembersError(error) && error.code === "ERR_HTTP" && (status === undefined || error.status === status);
}

export const configError = (detail: string, hint?: string, path?: string) =>
  new ImageMembersError("ERR_CONFIG", detail, { hint, path });

export const validationError = (detail: string, hint?: string) => new ImageMembersError("ERR_VALIDATION", detail, { hint });
