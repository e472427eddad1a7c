import { validationError } from "./errors";
import { type MemberStatus, memberStatuses } from "./types";

/**
 * Client-side checks run before any request, so a typo never reaches Glance (which would answer 400
 * or, for an id with `/`, route the request somewhere else entirely).
 */
export function checkId(name: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `${name} must be a string, not ${value === null ? "null" : typeof value}`;
  if (value.length === 0) return `${name} must not be empty`;
  if (value.includes("/")) return `${name} ${JSON.stringify(value)} must not contain "/"`;
  if (/\s/.test(value)) return `${name} ${JSON.stringify(value)} must not contain whitespace`;
  return undefined;
}

export function checkStatus(name: string, value: unknown): string | undefined {
  if (typeof value === "string" && (memberStatuses as readonly string[]).includes(value)) return undefined;
  const allowed = memberStatuses.map((s) => `"${s}"`).join(", ");
  const shown = JSON.stringify(value) ?? String(value);
  const lower = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  const suggestion = lower && (memberStatuses as readonly string[]).includes(lower) ? `; did you mean "${lower}"?` : "";
  return `${name} ${shown} is not a member status: use one of ${allowed}${suggestion}`;
}

export function assertId(name: string, value: unknown): asserts value is string {
  const problem = checkId(name, value);
  if (problem) throw validationError(problem);
}

export function assertStatus(name: string, value: unknown): asserts value is MemberStatus {
  const problem = checkStatus(name, value);
  if (problem) throw validationError(problem);
}
