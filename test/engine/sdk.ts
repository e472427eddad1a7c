// Loads `@pulumi/pulumi` and the pieces of it the emulator uses from a *program directory* (the
// package installed as users get it, package-under-test.ts): program, package under test and emulator then share one SDK copy, and the gRPC
// stubs, google-protobuf and grpc-js are the ones that copy was built with (mixing two copies of
// google-protobuf's `Struct` with one copy's messages fails at run time).
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as PulumiModule from "@pulumi/pulumi";

/** The SDK module the program sees (`import * as pulumi from "@pulumi/pulumi"`). */
export type Pulumi = typeof PulumiModule;

// The generated protobuf/gRPC modules are untyped for our purposes; the emulator declares what it calls.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type ProtoModule = Record<string, any>;

export interface LoadedSdk {
  /** Directory of the `@pulumi/pulumi` package that was loaded. */
  readonly root: string;
  readonly version: string;
  readonly pulumi: Pulumi;
  /** `@pulumi/pulumi/runtime/settings` (setMockOptions, waitForRPCs). */
  readonly settings: ProtoModule;
  /** `@pulumi/pulumi/runtime/state` (getStore: the process-global runtime options). */
  readonly state: ProtoModule;
  /** `@pulumi/pulumi/runtime/mocks` (MockMonitor). */
  readonly mocks: ProtoModule;
  readonly resproto: ProtoModule;
  readonly provproto: ProtoModule;
  readonly provrpc: ProtoModule;
  readonly statusproto: ProtoModule;
  readonly pluginproto: ProtoModule;
  readonly structproto: ProtoModule;
  readonly emptyproto: ProtoModule;
  readonly grpc: typeof import("@grpc/grpc-js");
  /** Path of the plugin host script the CLI's `pulumi-resource-pulumi-nodejs` shim runs. */
  readonly dynamicProviderScript: string;
}

const cache = new Map<string, LoadedSdk>();

/** Resolves `@pulumi/pulumi` the way the CLI's shim does (`require.resolve` from the program directory). */
export function loadSdk(programDir: string): LoadedSdk {
  const fromProgram = createRequire(path.join(path.resolve(programDir), "package.json"));
  let pkgJson: string;
  try {
    pkgJson = fromProgram.resolve("@pulumi/pulumi/package.json");
  } catch {
    throw new Error(`@pulumi/pulumi is not installed in the program directory ${programDir}`);
  }
  const root = path.dirname(pkgJson);
  const hit = cache.get(root);
  if (hit) return hit;
  const fromSdk = createRequire(pkgJson);
  const sdk: LoadedSdk = {
    root,
    version: fromSdk("./package.json").version,
    pulumi: fromSdk("./index.js"),
    settings: fromSdk("./runtime/settings.js"),
    state: fromSdk("./runtime/state.js"),
    mocks: fromSdk("./runtime/mocks.js"),
    resproto: fromSdk("./proto/resource_pb.js"),
    provproto: fromSdk("./proto/provider_pb.js"),
    provrpc: fromSdk("./proto/provider_grpc_pb.js"),
    statusproto: fromSdk("./proto/status_pb.js"),
    pluginproto: fromSdk("./proto/plugin_pb.js"),
    structproto: fromSdk("google-protobuf/google/protobuf/struct_pb"),
    emptyproto: fromSdk("google-protobuf/google/protobuf/empty_pb"),
    grpc: fromSdk("@grpc/grpc-js"),
    dynamicProviderScript: fromProgram.resolve("@pulumi/pulumi/cmd/dynamic-provider"),
  };
  cache.set(root, sdk);
  return sdk;
}
