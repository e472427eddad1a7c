/**
 * MemberAcceptance's dynamic provider as a module of its own, stored in the state as
 * `require("pulumi-image-members/dynamic/member-acceptance")`: see ./image-member.ts.
 */
import { memberAcceptanceProvider } from "../member-acceptance-lifecycle";

export { configureProvider as configure } from "../runtime";
export const { check, diff, create, read, update } = memberAcceptanceProvider;
const remove = memberAcceptanceProvider.delete;

export { remove as delete };
