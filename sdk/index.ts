export type { ErrorCode } from "./errors";
export { ImageMembersError, isHttpError, isImageMembersError } from "./errors";
export { openImageService } from "./image-service";
export type { AuthType, CloudOptions, Image, ImageService, Member, SharedImage, SharedImageFilter } from "./types";
export { MemberStatus } from "./types";
