/**
 * ImageShare's dynamic provider as a module of its own, stored in the state as
 * `require("pulumi-image-members/dynamic/image-share")`: see ./image-member.ts.
 */
import { imageShareProvider } from "../image-share-lifecycle";

export { configureProvider as configure } from "../runtime";
export const { check, diff, create, read, update } = imageShareProvider;
const remove = imageShareProvider.delete;

export { remove as delete };
