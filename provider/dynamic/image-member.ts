/**
 * ImageMember's dynamic provider as a module of its own. A resource created or updated from an
 * install under node_modules stores `require("pulumi-image-members/dynamic/image-member")` as its
 * provider (Pulumi's serializer writes a module found under node_modules as a require of its export
 * path), so this export path is kept forever.
 */
import { imageMemberProvider } from "../image-member-lifecycle";

export { configureProvider as configure } from "../runtime";
export const { check, diff, create, read, update } = imageMemberProvider;
const remove = imageMemberProvider.delete;

export { remove as delete };
