/**
 * The implementation the serialized provider shims load at call time, as
 * `require("pulumi-image-members/runtime")`. That module path is written into every stack's state
 * (`__provider`), so it is exported forever, and everything here must accept state written by
 * earlier versions.
 */
export { configure } from "./context";
export { imageMemberProvider } from "./image-member-provider";
export { memberAcceptanceProvider } from "./member-acceptance-provider";
