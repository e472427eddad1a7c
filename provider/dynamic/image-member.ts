/**
 * ImageMember's dynamic provider as a module of its own. Every resource created or updated since 0.2.0
 * stores a require of this export path as its provider (`withProvider` in ../dynamic-resource.ts), so
 * the path is kept forever.
 */
import { imageMemberProvider } from "../image-member-lifecycle";

export { configureProvider as configure } from "../runtime";
export const { check, diff, create, read, update } = imageMemberProvider;
const remove = imageMemberProvider.delete;

export { remove as delete };
