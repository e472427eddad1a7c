import type * as pulumi from "@pulumi/pulumi";
import { checkId, checkStatus } from "../sdk/validation";

/**
 * Input validation for `check`: every problem becomes a failure naming the property and the fix,
 * returned (never thrown) so Pulumi shows them all at once, before any request is made.
 */

// A value the engine does not know yet during preview (an output of a resource not created yet).
// It reaches check() verbatim; it is validated on the real run.
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const isUnknown = (v: unknown) => v === UNKNOWN;

export class Checker {
  readonly failures: pulumi.dynamic.CheckFailure[] = [];

  constructor(
    private readonly resource: string,
    private readonly inputs: Record<string, unknown>,
  ) {}

  // Pulumi prints: resource 'name': property imageId value "" has a problem: <reason>
  private fail(property: string, reason: string): void {
    this.failures.push({ property, reason });
  }

  private value(property: string): { set: boolean; value: unknown } {
    const value = this.inputs[property];
    return { set: value !== undefined && value !== null && !isUnknown(value), value };
  }

  id(property: string, required: boolean, fix: string): void {
    const { set, value } = this.value(property);
    if (!set) {
      if (required && !isUnknown(value)) this.fail(property, `is required: ${fix}`);
      return;
    }
    const problem = checkId(property, value);
    if (problem) this.fail(property, `${problem.replace(`${property} `, "")}: ${fix}`);
  }

  status(property: string, fix?: string): void {
    const { set, value } = this.value(property);
    if (!set) return;
    const problem = checkStatus(property, value);
    if (problem) this.fail(property, `${problem.replace(`${property} `, "")}${fix ? ` (${fix})` : ""}`);
  }

  oneOf(property: string, allowed: readonly string[]): void {
    const { set, value } = this.value(property);
    if (set && !allowed.includes(value as string)) {
      this.fail(property, `${JSON.stringify(value)} is not allowed: use ${allowed.map((a) => `"${a}"`).join(" or ")}`);
    }
  }

  boolean(property: string): void {
    const { set, value } = this.value(property);
    if (set && typeof value !== "boolean") this.fail(property, `must be true or false, not ${JSON.stringify(value)}`);
  }

  text(property: string, what: string): void {
    const { set, value } = this.value(property);
    if (set && (typeof value !== "string" || value.trim() === "")) this.fail(property, `must be a non-empty string (${what})`);
  }

  seconds(property: string, max: number): void {
    const { set, value } = this.value(property);
    if (set && (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max)) {
      this.fail(property, `must be a number of seconds from 0 to ${max}, not ${JSON.stringify(value)}`);
    }
  }

  /** Properties nobody declared: a typo such as `imageID` would otherwise be silently ignored. */
  onlyKnown(known: readonly string[]): void {
    for (const key of Object.keys(this.inputs)) {
      if (key === "__provider" || known.includes(key)) continue;
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
      this.fail(key, `is not a property of ${this.resource}${near ? `; did you mean ${near}?` : ` (it has: ${known.join(", ")})`}`);
    }
  }
}

/** `a` differs from `b` in a way the user asked for: an unset input equals whatever was resolved. */
export const changed = (wanted: unknown, current: unknown) => wanted !== undefined && wanted !== null && wanted !== current;

/** Drops undefined values: Pulumi state cannot hold them, and a missing key must stay missing. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const memberResourceId = (imageId: string, memberId: string) => `${imageId}/${memberId}`;

/** What `read` returns; Pulumi's own type says `inputs` are outputs-shaped, which they are not. */
export interface ReadResult<Outputs, Inputs> {
  id?: string;
  props?: Outputs;
  inputs?: Inputs;
}

/** `pulumi.dynamic.ResourceProvider<Inputs, Outputs>`, with `read` returning inputs that are inputs. */
export type DynamicProvider<Inputs, Outputs> = Omit<pulumi.dynamic.ResourceProvider<Inputs, Outputs>, "read"> & {
  read(id: string, props?: Outputs): Promise<ReadResult<Outputs, Inputs>>;
};
