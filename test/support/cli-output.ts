/**
 * What a Pulumi CLI run printed, read from its engine events (dev/harness/pulumi.ts `RunResult.events`)
 * rather than from the display text.
 *
 * - A resource's error is a diagnostic event with the resource's URN; the CLI lists it in its
 *   Diagnostics section under `<type> (<name>):` as `error: <message>`. `resourceErrors` gives each as
 *   one line, `<type> (<name>): error: <message>` (`stepError` builds the expected form).
 * - The CLI's own errors have no URN: `update failed` after a failed step of `pulumi up` (none after a
 *   failed check, where no step ran).
 * - What a plugin writes on stderr is a diagnostic of severity `info#err` without a URN, on stdout
 *   `info`; warnings are `warning`.
 */
import { type RunResult, urnName } from "../../dev/harness/pulumi";

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface Diagnostic {
  severity: string;
  urn?: string;
  message: string;
}

/** The run's diagnostics except debug ones, messages without their trailing newlines and colours. */
export function diagnostics(r: RunResult, ...severities: string[]): Diagnostic[] {
  return r.events
    .filter((e: any) => e.diagnosticEvent && e.diagnosticEvent.severity !== "debug")
    .map((e: any) => ({
      severity: e.diagnosticEvent.severity,
      urn: e.diagnosticEvent.urn || undefined,
      message: clean(e.diagnosticEvent.message),
    }))
    .filter((d: Diagnostic) => severities.length === 0 || severities.includes(d.severity));
}

/** A resource's error as `resourceErrors` lists it. */
export const stepError = (type: string, name: string, message: string) => `${type} (${name}): error: ${message}`;

/** Every error diagnostic that names a resource, as `<type> (<name>): error: <message>`, in the order printed. */
export function resourceErrors(r: RunResult): string[] {
  return diagnostics(r, "error")
    .filter((d) => d.urn)
    .map((d) => stepError(urnType(d.urn!), urnName(d.urn!), d.message));
}

/** The error diagnostics that name no resource: the CLI's own (`update failed`). */
export function closingErrors(r: RunResult): string[] {
  return diagnostics(r, "error")
    .filter((d) => !d.urn)
    .map((d) => d.message);
}

/** What the plugins wrote on stderr (and anything else the CLI printed as a warning). */
export function pluginStderr(r: RunResult): string[] {
  return diagnostics(r, "info#err", "warning").map((d) => d.message);
}

/** The resource type in a URN (the last of its parent-qualified type chain). */
export function urnType(urn: string): string {
  const parts = urn.split("::");
  const chain = parts[parts.length - 2] ?? "";
  return chain.slice(chain.lastIndexOf("$") + 1);
}

function clean(message: string): string {
  return message.replace(/\u001b\[[0-9;]*m/g, "").replace(/\s+$/, "");
}
