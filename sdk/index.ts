export { MemberStatus } from "./types";
export type { AuthType, CloudOptions, Image, ImageService, Member } from "./types";
export { openImageService } from "./image-service";
export { ImageMembersError, isHttpError, isImageMembersError } from "./errors";
export type { ErrorCode } from "./errors";
export type { SharedImage, SharedImageFilter } from "./types";
