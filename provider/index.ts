export type { ErrorCode } from "../sdk/errors";
export { ImageMembersError, isHttpError, isImageMembersError } from "../sdk/errors";
export type { Member, SharedImage, StatusOnDelete } from "../sdk/types";
export { MemberStatus } from "../sdk/types";
export type { AcceptSharesArgs } from "./accept-shares";
export { AcceptShares } from "./accept-shares";
export type { GetImageMemberArgs, GetImageMembersArgs, GetSharedImagesArgs } from "./functions";
export {
  getImageMember,
  getImageMemberOutput,
  getImageMembers,
  getImageMembersOutput,
  getSharedImages,
  getSharedImagesOutput,
} from "./functions";
export type { ImageMemberArgs } from "./image-member";
export { ImageMember } from "./image-member";
export type { ImageShareArgs } from "./image-share";
export { ImageShare } from "./image-share";
export type { MemberAcceptanceArgs } from "./member-acceptance";
export { MemberAcceptance } from "./member-acceptance";
