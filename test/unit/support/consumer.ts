// A user's program of both entry points (`pulumi-image-members` and `/sdk`) and the compiler
// options of the projects DESIGN.md "Public surface" names: compiled against the built declarations
// by test/unit/types/declarations.test.ts (the repository's TypeScript) and against the packed
// tarball by test/types/published-types.test.ts (the toolchains users install).

/** The tsconfig.json of Pulumi's `typescript` template (`pulumi new typescript`, on TypeScript 5). */
export const pulumiTemplateTsconfig = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** A `nodenext` project's compiler options, for a CommonJS and an ESM (`"type": "module"`) program alike. */
export const nodenextTsconfig = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    // TypeScript 6 includes no @types package unless told
    types: ["node"],
    sourceMap: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** The program: every main name of both entry points, used as the README shows them. `esm`: an ES
 *  module (top-level await). */
export function consumerProgram(esm: boolean): string {
  return `import * as pulumi from "@pulumi/pulumi";
import {
  AcceptShares, ImageMember, ImageShare, MemberAcceptance, MemberStatus, getImageMember, getImageMembers, getImageMembersOutput,
  ImageMembersError as RootError, isHttpError as rootIsHttpError, isImageMembersError as rootIsError,
  type ErrorCode as RootErrorCode, type ImageMemberArgs, type ImageShareArgs, type MemberAcceptanceArgs,
} from "pulumi-image-members";
import {
  ImageMembersError, MemberStatus as SdkMemberStatus, isHttpError, isImageMembersError, openImageService,
  type CloudOptions, type ErrorCode, type Image, type ImageService, type Member,
} from "pulumi-image-members/sdk";

const config = new pulumi.Config();
const imageId = config.require("imageId");
const memberArgs: ImageMemberArgs = { imageId, memberId: config.require("memberId"), adoptExisting: true };
const member = new ImageMember("member", memberArgs);
const shareArgs: ImageShareArgs = { imageId, memberIds: ["project-a", "project-b"], exclusive: false, cloud: "producer" };
const share = new ImageShare("share", shareArgs);
const acceptanceArgs: MemberAcceptanceArgs = { imageId, status: MemberStatus.ACCEPTED, statusOnDelete: "pending" };
const acceptance = new MemberAcceptance("accept", acceptanceArgs, { dependsOn: [member] });
const pending: SdkMemberStatus = SdkMemberStatus.PENDING;

async function inspect(options: CloudOptions): Promise<Image | undefined> {
  const glance: ImageService = await openImageService(options);
  const members: Member[] = await glance.listMembers(imageId);
  const one: Member = await glance.getMember(imageId, members[0]?.memberId ?? glance.projectId);
  try {
    await glance.updateMemberStatus(imageId, one.memberId, pending);
    return await glance.getImage(imageId);
  } catch (e) {
    if (isHttpError(e, 404)) return undefined;
    if (e instanceof ImageMembersError || isImageMembersError(e)) {
      const code: ErrorCode = e.code;
      console.log(code, e.hint, e.status, e.requestId);
    }
    throw e;
  }
}

// the root's error exports are the SDK's: a caller branches on the code without importing /sdk
const sameClass: typeof ImageMembersError = RootError;
function outcome(e: unknown): string {
  if (rootIsHttpError(e, 404) && e.code === "ERR_NOT_SHARED") return \`not shared yet (\${e.status})\`;
  if (!rootIsError(e)) return "other";
  const code: RootErrorCode = e.code;
  switch (code) {
    case "ERR_ALREADY_SHARED": return "already shared";
    case "ERR_MEMBER_QUOTA": return "quota";
    default: return code;
  }
}
void sameClass;
void outcome;

// @ts-expect-error openImageService takes the public options only: the provider's and the tests' knobs are not published
void openImageService({ cloud: "producer" }, { env: {} });

export const memberId = member.memberId;
export const shared = share.memberIds.apply((ids) => ids.length);
export const sharedStatuses = share.statuses;
export const trusted = new AcceptShares("trusted", { owners: ["project-p"], nameMatch: "golden-*" }).imageIds;
export const accepted = acceptance.status;
export const listed = pulumi.output(getImageMembers({ imageId })).apply((ms: Member[]) => ms.map((m) => m.status));
export const listedOutput = getImageMembersOutput({ imageId }).apply((ms) => ms.length);
export const first = pulumi.output(getImageMember({ imageId, memberId: "project-a" })).apply((m) => m.createdAt);
export const image = pulumi.output(inspect({ cloud: "producer", timeoutSeconds: 10 })).apply((i) => i?.name);
${esm ? `// top-level await: compiles only as an ES module\nexport const projectId = (await openImageService({ cloud: "consumer" })).projectId;\n` : ""}`;
}
