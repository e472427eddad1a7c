/** The three statuses a member project can give its own membership. Glance compares them case-sensitively. */
export const MemberStatus = {
  ACCEPTED: "accepted",
  PENDING: "pending",
  REJECTED: "rejected",
} as const;
export type MemberStatus = (typeof MemberStatus)[keyof typeof MemberStatus];

export const memberStatuses: readonly MemberStatus[] = [MemberStatus.ACCEPTED, MemberStatus.PENDING, MemberStatus.REJECTED];

/** What a consumer may leave behind when its acceptance leaves the stack (it cannot delete a membership). */
export const statusesOnDelete = [MemberStatus.REJECTED, MemberStatus.PENDING] as const;
export type StatusOnDelete = (typeof statusesOnDelete)[number];

/** One project's membership of an image (Glance's `member` schema, camel-cased). */
export interface Member {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: string;
  updatedAt: string;
}

/** The fields of a Glance image that sharing depends on. */
export interface Image {
  id: string;
  name?: string;
  owner: string;
  visibility: string;
  status: string;
}

/** Keystone v3 authentication methods (`auth_type` in clouds.yaml). */
export type AuthType = "password" | "v3password" | "v3applicationcredential" | "application_credential" | "token" | "v3token";

/**
 * Where and how to reach Glance. Every field is optional: unset fields come from the stack config,
 * the clouds.yaml entry or `OS_*` variables, in the order docs/configuration.md gives.
 */
export interface CloudOptions {
  /** A clouds.yaml entry; explicit credential fields below override its values. */
  cloud?: string;
  authUrl?: string;
  username?: string;
  userId?: string;
  password?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
  token?: string;
  /**
   * The domain a user or project name is looked up in when no `userDomain…` / `projectDomain…`
   * is given (openstacksdk's `default_domain_id` / `default_domain_name`).
   */
  defaultDomainId?: string;
  defaultDomainName?: string;
  /**
   * How to authenticate; default: an application credential when one is given, else a token given
   * without a password, else a password. (Read from stack config, clouds.yaml or `OS_AUTH_TYPE`,
   * case and `-`/`_` do not matter: `v3-password` is `v3password`.)
   */
  authType?: AuthType;
  region?: string;
  interface?: "public" | "internal" | "admin";
  /** Use this Glance URL instead of the one in Keystone's catalog. */
  imageEndpoint?: string;
  cacertFile?: string;
  insecure?: boolean;
  /** Per-request timeout; 30 s when unset. */
  timeoutSeconds?: number;
}

/** The operations on image members, bound to one credential set and one Glance endpoint. */
export interface ImageService {
  /** The project the credential is scoped to. */
  readonly projectId: string;
  /** The Glance endpoint in use (without `/v2`). */
  readonly endpoint: string;
  /** The region the endpoint belongs to, when known (asked for, or the catalog's only one). */
  readonly region?: string;
  listMembers(imageId: string): Promise<Member[]>;
  getMember(imageId: string, memberId: string): Promise<Member>;
  createMember(imageId: string, memberId: string): Promise<Member>;
  /** Removing a member that is not there is a success. */
  deleteMember(imageId: string, memberId: string): Promise<void>;
  updateMemberStatus(imageId: string, memberId: string, status: MemberStatus): Promise<Member>;
  getImage(imageId: string): Promise<Image>;
  /**
   * The images other projects share with this credential's project, each with this project's member
   * status (never the project's own images). Follows every page of Glance's image list: the requests
   * are bounded by pages, never one per image (one paged list per member status when the status is
   * wanted). `memberStatus` defaults to `all`; `owners` keeps only those owners' images; `tags`
   * keeps images that carry every tag listed.
   */
  listSharedImages(filter?: SharedImageFilter): Promise<SharedImage[]>;
  /** @internal The same images without their status: one paged list (what a program needs to know which to answer). */
  listSharedImageSet(filter?: Omit<SharedImageFilter, "memberStatus">): Promise<Omit<SharedImage, "memberStatus">[]>;
}

/** What `listSharedImages` keeps. */
export interface SharedImageFilter {
  /** Project ids of the owners whose shares to list; default: every owner. */
  owners?: string[];
  /** Only images this project has given this status; default `all`. */
  memberStatus?: MemberStatus | "all";
  /** Only images carrying every one of these tags. */
  tags?: string[];
}

/** An image another project shares with this credential's project. */
export interface SharedImage {
  imageId: string;
  name?: string;
  /** The project that owns (and shares) the image. */
  owner: string;
  /** This project's member status. */
  memberStatus: MemberStatus;
  tags: string[];
  /** When the image was created. */
  createdAt: string;
}
