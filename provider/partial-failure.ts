/**
 * A create or update that did part of its work. The plugin host turns an error that carries `id`
 * and `properties` into ErrorResourceInitFailed, for create and for update alike: the engine then
 * records those properties as the resource's outputs, so nothing done before the failure is lost,
 * and the next `pulumi up` finishes the work.
 */
export function partialFailure(id: string, message: string, outputs: object, inputs: object): Error {
  const error = new Error(message) as Error & { id: string; properties: object; reasons: string[] };
  error.id = id;
  // outputs recorded for a failed create do not get __provider added by the host; refresh and
  // destroy need it to find this code again
  error.properties = { ...outputs, __provider: (inputs as { __provider?: unknown }).__provider };
  // the CLI prints the reasons, not the message, and keeps them in the state as initErrors
  error.reasons = [message];
  return error;
}

/** A create that made its resource but could not finish configuring it. */
export function halfCreated(id: string, outputs: object, inputs: object, cause: unknown): Error {
  return partialFailure(id, `created ${id}, but could not finish: ${reasonOf(cause)}`, outputs, inputs);
}

export const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));
