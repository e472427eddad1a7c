/**
 * AcceptShares' dynamic provider as a module of its own, stored in the state as
 * `require("pulumi-image-members/dynamic/accept-shares")`: see ./image-member.ts.
 */
import { acceptSharesProvider } from "../accept-shares-lifecycle";

export { configureProvider as configure } from "../runtime";
export const { check, diff, create, read, update } = acceptSharesProvider;
const remove = acceptSharesProvider.delete;

export { remove as delete };
