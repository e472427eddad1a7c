// Pulumi's property wire format, as plain JavaScript values (what `google.protobuf.Struct.toJavaScript()`
// gives): the sentinels of sdk/nodejs/runtime/rpc.ts and the engine-side transformations the emulator
// needs (secret stripping for providers that answer acceptSecrets=false, re-marking outputs secret,
// the DIFF_UNKNOWN input comparison). No SDK import here: these helpers work on any copy's values.

/** Key marking a special object (`specialSigKey`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** Value of `SIG_KEY` for a secret (`specialSecretSig`). */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** An unknown value (preview only) travels as this string (`unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface SecretValue<T = unknown> {
  [SIG_KEY]: typeof SECRET_SIG;
  value: T;
}

export type PropertyMap = Record<string, unknown>;

/** Marks a value secret, e.g. a stack-config value set with `pulumi config set --secret`. */
export function secret<T>(value: T): SecretValue<T> {
  return { [SIG_KEY]: SECRET_SIG, value } as SecretValue<T>;
}

export function isSecret(v: unknown): v is SecretValue {
  return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Removes secret wrappers, as the engine does before calling a provider whose Configure answered
 *  acceptSecrets=false (the Node dynamic provider does: sdk/nodejs/cmd/dynamic-provider/index.ts). */
export function stripSecrets<T = unknown>(v: T): T {
  if (isSecret(v)) return stripSecrets(v.value) as T;
  if (Array.isArray(v)) return v.map(stripSecrets) as T;
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripSecrets(x)])) as T;
  return v;
}

export function containsSecret(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (isObject(v)) return Object.values(v).some(containsSecret);
  return false;
}

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isObject(v)) return Object.values(v).some(containsUnknown);
  return false;
}

/** The engine's `annotateSecrets` (provider_plugin.go): a provider that cannot take secrets returns plain
 *  values, so every value whose counterpart in `like` was secret is marked secret again, recursively.
 *  `extraSecretKeys` are the resource's `additionalSecretOutputs`. */
export function annotateSecrets(plain: unknown, like: unknown, extraSecretKeys: readonly string[] = []): unknown {
  if (isSecret(like)) return isSecret(plain) ? plain : secret(annotateSecrets(plain, like.value));
  if (Array.isArray(plain) && Array.isArray(like)) return plain.map((v, i) => annotateSecrets(v, like[i]));
  if (isObject(plain) && !isSecret(plain) && (isObject(like) || extraSecretKeys.length)) {
    const likeMap = isObject(like) ? like : {};
    return Object.fromEntries(
      Object.entries(plain).map(([k, v]) => {
        const annotated = annotateSecrets(v, likeMap[k]);
        return [k, extraSecretKeys.includes(k) && !isSecret(annotated) ? secret(annotated) : annotated];
      }),
    );
  }
  return plain;
}

/** Struct cannot carry `undefined`; the SDK drops such keys too. */
export function dropUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v ?? {}));
}

/** Structural equality on plain values (key order ignored, undefined keys ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, canonical(v[k])]),
    );
  }
  return v;
}

/** Top-level keys whose values differ (secrets unwrapped), sorted. Used for the step's diff keys, which
 *  the Node dynamic provider never reports itself (its DiffResponse carries no `diffs`). */
export function changedKeys(olds: PropertyMap, news: PropertyMap): string[] {
  const a = stripSecrets(olds);
  const b = stripSecrets(news);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !deepEqual(a[k], b[k])).sort();
}
