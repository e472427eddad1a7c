import * as pulumi from "@pulumi/pulumi";
import { type MemberStatus, type SharedImage, type StatusOnDelete, statusesOnDelete } from "../sdk/types";
import { checkId, checkStatus } from "../sdk/validation";
import { dynamicType, withProvider } from "./dynamic-resource";
import { openFor } from "./functions";
import { refuseImport } from "./import-option";

export interface AcceptSharesArgs {
  /**
   * Project ids of the producers this project trusts: only images they own are accepted, and
   * nothing shared by any other project is ever touched.
   */
  owners: string[];
  /** The status to give each image; default `accepted`. */
  status?: MemberStatus;
  /** Only images whose name matches this glob: `*` any run of characters, `?` one character, every other character itself. */
  nameMatch?: string;
  /** Only images carrying every one of these tags. */
  tags?: string[];
  /** The status each acceptance leaves behind when it leaves the stack; default `rejected`. */
  statusOnDelete?: StatusOnDelete;
  /** A clouds.yaml entry to act as (for the listing and every acceptance). */
  cloud?: string;
  /** The image service's region. */
  region?: string;
}

const argNames = ["owners", "status", "nameMatch", "tags", "statusOnDelete", "cloud", "region"] as const;

/**
 * `*` and `?` as wildcards, every other character literal; the whole name must match. An image
 * without a name has the empty name (matched by `*`).
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += "[\\s\\S]*";
    else if (ch === "?") source += "[\\s\\S]";
    else source += /[\\^$.+()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${source}$`, "u");
}

/** Every problem of the arguments, each naming the property (refused when the program runs, before any request). */
export function checkAcceptSharesArgs(args: unknown): string[] {
  const problems: string[] = [];
  if (typeof args !== "object" || args === null)
    return ["arguments must be an object with owners (the project ids whose shares to accept)"];
  const a = args as Record<string, unknown>;
  const plain = (key: string, what: string) => {
    if (pulumi.Output.isInstance(a[key]) || a[key] instanceof Promise) {
      problems.push(
        `${key} must be ${what} known when the program runs, not an Output or a Promise: the shares are listed before any resource is declared`,
      );
      return false;
    }
    return a[key] !== undefined && a[key] !== null;
  };
  for (const key of Object.keys(a)) {
    if ((argNames as readonly string[]).includes(key) || a[key] === undefined) continue;
    const near = argNames.find((k) => k.toLowerCase() === key.toLowerCase());
    problems.push(`${key} is not a property of AcceptShares${near ? `; did you mean ${near}?` : ` (it has: ${argNames.join(", ")})`}`);
  }
  if (!plain("owners", "a list of project ids")) {
    if (!pulumi.Output.isInstance(a.owners) && !(a.owners instanceof Promise))
      problems.push("owners is required: give the project ids of the producers whose shares this project accepts");
  } else if (!Array.isArray(a.owners)) {
    problems.push(`owners must be a list of project ids, not ${JSON.stringify(a.owners)}`);
  } else if (a.owners.length === 0) {
    problems.push("owners must list at least one project id: the producers whose shares this project accepts");
  } else {
    a.owners.forEach((owner, i) => {
      const problem = checkId(`owners[${i}]`, owner);
      if (problem) problems.push(`${problem} (a project id)`);
    });
  }
  if (plain("status", "a member status")) {
    const problem = checkStatus("status", a.status);
    if (problem) problems.push(problem);
  }
  const onDelete = statusesOnDelete.map((st) => `"${st}"`).join(" or ");
  if (plain("statusOnDelete", onDelete) && !(statusesOnDelete as readonly unknown[]).includes(a.statusOnDelete)) {
    problems.push(`statusOnDelete ${JSON.stringify(a.statusOnDelete)} is not allowed: use ${onDelete}`);
  }
  if (plain("nameMatch", "a glob") && (typeof a.nameMatch !== "string" || a.nameMatch === "")) {
    problems.push(`nameMatch must be a non-empty glob (* and ?), not ${JSON.stringify(a.nameMatch)}`);
  }
  if (plain("tags", "a list of tags")) {
    if (!Array.isArray(a.tags)) problems.push(`tags must be a list of tags, not ${JSON.stringify(a.tags)}`);
    else
      a.tags.forEach((tag, i) => {
        if (typeof tag !== "string" || tag.trim() === "")
          problems.push(`tags[${i}] must be a non-empty string, not ${JSON.stringify(tag)}`);
      });
  }
  for (const key of ["cloud", "region"] as const) {
    if (plain(key, "a string") && (typeof a[key] !== "string" || (a[key] as string).trim() === "")) {
      problems.push(`${key} must be a non-empty string, not ${JSON.stringify(a[key])}`);
    }
  }
  return problems;
}

/** The images to accept: the trusted owners' shares (listed by owner and tags) whose name matches. */
export function selectShares<T extends Pick<SharedImage, "imageId" | "name">>(images: T[], nameMatch: string | undefined): T[] {
  const re = nameMatch === undefined ? undefined : globToRegExp(nameMatch);
  return images.filter((i) => !re || re.test(i.name ?? "")).sort((x, y) => (x.imageId < y.imageId ? -1 : x.imageId > y.imageId ? 1 : 0));
}

/** The ids of the images to answer: the trusted owners' shares, listed when the program runs (one paged list). */
async function listMatching(name: string, args: AcceptSharesArgs, owners: string[]): Promise<string[]> {
  try {
    const service = await openFor({ cloud: args.cloud, region: args.region });
    const shared = await service.listSharedImageSet({ owners, ...(args.tags?.length ? { tags: args.tags } : {}) });
    return selectShares(shared, args.nameMatch).map((image) => image.imageId);
  } catch (e) {
    throw new pulumi.RunError(
      `AcceptShares "${name}": listing the images shared with this project failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * The consumer side without image ids: when the program runs, lists the images that any of `owners`
 * shares with the credential's project, keeps those whose name matches `nameMatch` and that carry
 * every tag in `tags`, and answers them all with `status`: one resource for every share. A new share
 * from a trusted owner is then a difference the drift check reports and a plain `pulumi up`
 * answers; a share the owner removed drops out. Type token `pulumi-nodejs:dynamic/glance:AcceptShares`.
 */
export class AcceptShares extends pulumi.CustomResource {
  /** The ids of the images answered, sorted. */
  declare readonly imageIds: pulumi.Output<string[]>;
  /** This project's answer to each, by image id. */
  declare readonly statuses: pulumi.Output<Record<string, MemberStatus>>;
  /** The project that answers: the credential's. */
  declare readonly memberId: pulumi.Output<string>;
  declare readonly owners: pulumi.Output<string[]>;
  declare readonly status: pulumi.Output<MemberStatus>;
  declare readonly statusOnDelete: pulumi.Output<StatusOnDelete>;
  declare readonly region: pulumi.Output<string | undefined>;
  declare readonly cloud: pulumi.Output<string | undefined>;

  constructor(name: string, args: AcceptSharesArgs, opts?: pulumi.CustomResourceOptions) {
    const problems = checkAcceptSharesArgs(args);
    if (problems.length) throw new pulumi.RunError(`AcceptShares "${name}": ${problems.join("; ")}`);
    refuseImport("AcceptShares", name, opts, "it answers every share of its owners when created: nothing needs importing");
    const owners = [...new Set(args.owners)];
    super(
      dynamicType("AcceptShares"),
      name,
      withProvider("AcceptShares", {
        owners,
        imageIds: pulumi.output(listMatching(name, args, owners)),
        status: args.status,
        nameMatch: args.nameMatch,
        tags: args.tags,
        statusOnDelete: args.statusOnDelete,
        cloud: args.cloud,
        region: args.region,
        statuses: undefined,
        memberId: undefined,
      }),
      opts,
    );
  }
}
