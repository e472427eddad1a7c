import * as pulumi from "@pulumi/pulumi";
import { statusesOnDelete, type MemberStatus, type SharedImage, type StatusOnDelete } from "../sdk/types";
import { checkId, checkStatus } from "../sdk/validation";
import { getSharedImages } from "./functions";
import { MemberAcceptance } from "./member-acceptance";

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

const TYPE = "image-members:index:AcceptShares";
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

/** Every problem of the arguments, each naming the property (the component refuses them before any request). */
export function checkAcceptSharesArgs(args: unknown): string[] {
  const problems: string[] = [];
  if (typeof args !== "object" || args === null) return ["arguments must be an object with owners (the project ids whose shares to accept)"];
  const a = args as Record<string, unknown>;
  const plain = (key: string, what: string) => {
    if (pulumi.Output.isInstance(a[key]) || a[key] instanceof Promise) {
      problems.push(`${key} must be ${what} known when the program runs, not an Output or a Promise: the shares are listed before any resource is declared`);
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
    if (!pulumi.Output.isInstance(a.owners) && !(a.owners instanceof Promise)) problems.push("owners is required: give the project ids of the producers whose shares this project accepts");
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
    else a.tags.forEach((tag, i) => {
      if (typeof tag !== "string" || tag.trim() === "") problems.push(`tags[${i}] must be a non-empty string, not ${JSON.stringify(tag)}`);
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
export function selectShares(images: SharedImage[], nameMatch: string | undefined): SharedImage[] {
  const re = nameMatch === undefined ? undefined : globToRegExp(nameMatch);
  return images.filter((i) => !re || re.test(i.name ?? "")).sort((x, y) => (x.imageId < y.imageId ? -1 : x.imageId > y.imageId ? 1 : 0));
}

/**
 * The consumer side without image ids: when the program runs, lists the images that any of `owners`
 * shares with the credential's project, keeps those whose name matches `nameMatch` and that carry
 * every tag in `tags`, and declares one `MemberAcceptance` named `${name}-${imageId}` per image,
 * whatever its status now. A new share from a trusted owner is then a pending create (the drift
 * check fails until `pulumi up` accepts it); a share removed drops out. Type token
 * `image-members:index:AcceptShares`.
 */
export class AcceptShares extends pulumi.ComponentResource {
  /** The ids of the images accepted (given `status`), sorted. */
  readonly imageIds: pulumi.Output<string[]>;

  constructor(name: string, args: AcceptSharesArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = checkAcceptSharesArgs(args);
    if (problems.length) throw new pulumi.RunError(`AcceptShares "${name}": ${problems.join("; ")}`);
    super(TYPE, name, {}, opts);
    const owners = [...new Set(args.owners)];
    const listed = getSharedImages({
      owners,
      ...(args.tags?.length ? { tags: args.tags } : {}),
      ...(args.cloud ? { cloud: args.cloud } : {}),
      ...(args.region ? { region: args.region } : {}),
    }).catch((e: unknown) => {
      throw new pulumi.RunError(`AcceptShares "${name}": listing the images shared with this project failed: ${e instanceof Error ? e.message : String(e)}`);
    });
    // The children are declared once the listing is in, before imageIds resolves: registering
    // imageIds as the component's outputs keeps the program running until then.
    const declared = listed.then((images) => selectShares(images, args.nameMatch).map((image) => {
      new MemberAcceptance(`${name}-${image.imageId}`, {
        imageId: image.imageId,
        ...(args.status !== undefined ? { status: args.status } : {}),
        ...(args.statusOnDelete !== undefined ? { statusOnDelete: args.statusOnDelete } : {}),
        ...(args.cloud !== undefined ? { cloud: args.cloud } : {}),
        ...(args.region !== undefined ? { region: args.region } : {}),
      }, { parent: this });
      return image.imageId;
    }));
    this.imageIds = pulumi.output(declared);
    this.registerOutputs({ imageIds: this.imageIds });
  }
}
