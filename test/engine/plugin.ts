// Starts the REAL Node.js dynamic-provider plugin host shipped in `@pulumi/pulumi`
// (`cmd/dynamic-provider`, what the CLI's `pulumi-resource-pulumi-nodejs` shim runs) and drives it over
// gRPC with the SDK's own generated stubs. It plays the engine's side of the protocol
// (engine-semantics.md §3): process environment, working directory, Configure payload, and the
// engine-side secret stripping for a provider that answers acceptSecrets=false.
import { spawn, type ChildProcess } from "node:child_process";
import { loadSdk, type LoadedSdk, type ProtoModule } from "./sdk";
import { dropUndefined, type PropertyMap } from "./wire";

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface PluginOutputLine {
  pid: number;
  stream: "stdout" | "stderr";
  text: string;
}

export interface PluginStartOptions {
  /** The project directory: the plugin's cwd, and where `@pulumi/pulumi` is resolved from (§3.3). */
  programDir: string;
  /** Pulumi project name: `PULUMI_NODEJS_PROJECT` and `PULUMI_PROJECT` (§3.2). */
  project: string;
  /** Stack config in the `pulumi-nodejs` namespace only, keyed by bare name: `PULUMI_CONFIG` (§3.2). */
  nodejsConfig?: Record<string, string>;
  /** Extra environment on top of this process's (the "CLI's") environment; `undefined` removes a key. */
  env?: Record<string, string | undefined>;
  /** Every line the plugin prints goes here too. */
  onOutput?: (line: PluginOutputLine) => void;
}

export interface DiffResult {
  changes: "DIFF_UNKNOWN" | "DIFF_NONE" | "DIFF_SOME";
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
}

export interface CheckResult {
  inputs: PropertyMap;
  failures: { property: string; reason: string }[];
}

export interface ReadResult {
  /** Empty when the provider reports the resource gone. */
  id: string;
  properties: PropertyMap;
  /** Only when the provider's `read()` returned `inputs` (SDK ≥ 3.216, #21315). */
  inputs?: PropertyMap;
}

/** What `grpc-status-details-bin` carried: the resource exists but failed to initialize (§4). */
export interface InitFailure {
  id: string;
  properties: PropertyMap;
  reasons: string[];
}

/** A failed RPC. `message` is the provider's message, as the engine reports it. */
export class PluginCallError extends Error {
  override name = "PluginCallError";
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly initFailure?: InitFailure,
  ) {
    super(message);
  }
}

const DIFF_NAMES: Record<number, DiffResult["changes"]> = { 0: "DIFF_UNKNOWN", 1: "DIFF_NONE", 2: "DIFF_SOME" };

export class DynamicProviderPlugin {
  private constructor(
    private readonly sdk: LoadedSdk,
    readonly process: ChildProcess,
    readonly port: number,
    private readonly client: any,
    /** Everything the plugin printed after its port line, in order (tests scan it for secrets). */
    readonly output: PluginOutputLine[],
  ) {}

  get pid(): number {
    return this.process.pid ?? -1;
  }

  static async start(opts: PluginStartOptions): Promise<DynamicProviderPlugin> {
    const sdk = loadSdk(opts.programDir);
    const env: Record<string, string | undefined> = {
      ...process.env,
      // Test runners' loaders must not leak into the plugin (the CLI's environment would not have them).
      NODE_OPTIONS: undefined,
      // §3.2: the engine adds the project name and PULUMI_CONFIG holding only the plugin package's
      // namespace (`pulumi-nodejs`); other stack config (e.g. `openstack:*`) reaches the provider
      // only through Configure.
      PULUMI_NODEJS_PROJECT: opts.project,
      PULUMI_PROJECT: opts.project,
      PULUMI_CONFIG: JSON.stringify(opts.nodejsConfig ?? {}),
      PULUMI_CONFIG_SECRET_KEYS: undefined,
      ...opts.env,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    // The shim runs `node <resolved cmd/dynamic-provider> <engine address>` in the project directory
    // (§3.2, §3.3). The plugin never dials the engine address; it only requires one.
    const child = spawn(process.execPath, [sdk.dynamicProviderScript, "127.0.0.1:1"], {
      cwd: opts.programDir,
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: PluginOutputLine[] = [];
    const emit = (stream: PluginOutputLine["stream"], text: string) => {
      const line = { pid: child.pid ?? -1, stream, text };
      output.push(line);
      opts.onOutput?.(line);
    };
    // Never leave plugin processes behind if this process exits without stop().
    const kill = () => child.kill("SIGKILL");
    process.once("exit", kill);
    child.once("exit", () => process.off("exit", kill));

    const port = await new Promise<number>((resolve, reject) => {
      let first: string | undefined;
      let pending = "";
      child.stdout!.setEncoding("utf8");
      child.stdout!.on("data", (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          // The first stdout line is the port the plugin listens on (index.ts main()).
          if (first === undefined) {
            first = line.trim();
            const p = Number(first);
            if (Number.isInteger(p) && p > 0) resolve(p);
            else reject(new Error(`plugin printed ${JSON.stringify(first)} instead of its port`));
          } else emit("stdout", line);
        }
      });
      let pendingErr = "";
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (chunk: string) => {
        pendingErr += chunk;
        let nl: number;
        while ((nl = pendingErr.indexOf("\n")) >= 0) {
          emit("stderr", pendingErr.slice(0, nl));
          pendingErr = pendingErr.slice(nl + 1);
        }
      });
      child.once("exit", (code) => {
        if (pending) emit("stdout", pending);
        if (pendingErr) emit("stderr", pendingErr);
        if (first === undefined) {
          reject(new Error(`plugin exited (${code}) before printing its port:\n${output.map((l) => l.text).join("\n")}`));
        }
      });
      child.once("error", reject);
    });
    const client = new sdk.provrpc.ResourceProviderClient(`127.0.0.1:${port}`, sdk.grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 1 << 30,
      "grpc.max_send_message_length": 1 << 30,
    });
    return new DynamicProviderPlugin(sdk, child, port, client, output);
  }

  private struct(v: PropertyMap | undefined): any {
    return this.sdk.structproto.Struct.fromJavaScript(dropUndefined(v ?? {}));
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method](req, (err: any, resp: T) => {
        if (!err) return resolve(resp);
        reject(new PluginCallError(method, err.code ?? -1, err.details || err.message, this.initFailure(err)));
      });
    });
  }

  /** Decodes ErrorResourceInitFailed from `grpc-status-details-bin` (engine: provider_plugin.go parseError). */
  private initFailure(err: any): InitFailure | undefined {
    const raw: Buffer[] | undefined = err?.metadata?.get?.("grpc-status-details-bin");
    if (!raw?.length) return undefined;
    const status = this.sdk.statusproto.Status.deserializeBinary(new Uint8Array(raw[0]));
    for (const any of status.getDetailsList() as ProtoModule[]) {
      if (!String(any.getTypeUrl()).endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
      const detail = this.sdk.provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
      return {
        id: detail.getId(),
        properties: detail.getProperties()?.toJavaScript() ?? {},
        reasons: detail.getReasonsList(),
      };
    }
    return undefined;
  }

  async getPluginInfo(): Promise<{ version: string }> {
    const r: any = await this.call("getPluginInfo", new this.sdk.emptyproto.Empty());
    return { version: r.getVersion() };
  }

  /** Configure with the default provider's inputs: the whole stack config, keys namespaced
   *  (`openstack:authUrl`), secrets as secret objects (engine: provider_plugin.go Configure, §3.1). */
  async configure(args: PropertyMap): Promise<{ acceptSecrets: boolean; supportsPreview: boolean }> {
    const req = new this.sdk.provproto.ConfigureRequest();
    req.setArgs(this.struct(args));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    const r: any = await this.call("configure", req);
    return { acceptSecrets: r.getAcceptsecrets(), supportsPreview: r.getSupportspreview() };
  }

  async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
    const req = new this.sdk.provproto.CheckRequest();
    req.setUrn(urn);
    req.setName(nameOf(urn));
    req.setType(typeOf(urn));
    req.setOlds(this.struct(olds));
    req.setNews(this.struct(news));
    const r: any = await this.call("check", req);
    return {
      inputs: r.getInputs()?.toJavaScript() ?? {},
      failures: (r.getFailuresList() as any[]).map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(
    urn: string,
    id: string,
    olds: PropertyMap,
    news: PropertyMap,
    oldInputs: PropertyMap,
    ignoreChanges: string[] = [],
  ): Promise<DiffResult> {
    const req = new this.sdk.provproto.DiffRequest();
    req.setUrn(urn);
    req.setName(nameOf(urn));
    req.setType(typeOf(urn));
    req.setId(id);
    req.setOlds(this.struct(olds));
    req.setNews(this.struct(news));
    req.setOldInputs(this.struct(oldInputs));
    req.setIgnorechangesList(ignoreChanges);
    const r: any = await this.call("diff", req);
    return {
      changes: DIFF_NAMES[r.getChanges()] ?? "DIFF_UNKNOWN",
      replaces: r.getReplacesList(),
      stables: r.getStablesList(),
      deleteBeforeReplace: r.getDeletebeforereplace(),
    };
  }

  async create(urn: string, properties: PropertyMap, timeoutSeconds = 0): Promise<{ id: string; properties: PropertyMap }> {
    const req = new this.sdk.provproto.CreateRequest();
    req.setUrn(urn);
    req.setName(nameOf(urn));
    req.setType(typeOf(urn));
    req.setProperties(this.struct(properties));
    req.setTimeout(timeoutSeconds);
    req.setPreview(false);
    const r: any = await this.call("create", req);
    return { id: r.getId(), properties: r.getProperties()?.toJavaScript() ?? {} };
  }

  /** Read. A refresh sends the stored outputs and inputs; an import sends the id only (§5). */
  async read(urn: string, id: string, properties?: PropertyMap, inputs?: PropertyMap): Promise<ReadResult> {
    const req = new this.sdk.provproto.ReadRequest();
    req.setUrn(urn);
    req.setName(nameOf(urn));
    req.setType(typeOf(urn));
    req.setId(id);
    if (properties) req.setProperties(this.struct(properties));
    if (inputs) req.setInputs(this.struct(inputs));
    const r: any = await this.call("read", req);
    return {
      id: r.getId(),
      properties: r.getProperties()?.toJavaScript() ?? {},
      inputs: r.getInputs()?.toJavaScript(),
    };
  }

  async update(
    urn: string,
    id: string,
    olds: PropertyMap,
    news: PropertyMap,
    oldInputs: PropertyMap,
    ignoreChanges: string[] = [],
  ): Promise<{ properties: PropertyMap }> {
    const req = new this.sdk.provproto.UpdateRequest();
    req.setUrn(urn);
    req.setName(nameOf(urn));
    req.setType(typeOf(urn));
    req.setId(id);
    req.setOlds(this.struct(olds));
    req.setNews(this.struct(news));
    req.setOldInputs(this.struct(oldInputs));
    req.setIgnorechangesList(ignoreChanges);
    req.setPreview(false);
    const r: any = await this.call("update", req);
    return { properties: r.getProperties()?.toJavaScript() ?? {} };
  }

  async delete(urn: string, id: string, properties: PropertyMap, oldInputs: PropertyMap): Promise<void> {
    const req = new this.sdk.provproto.DeleteRequest();
    req.setUrn(urn);
    req.setName(nameOf(urn));
    req.setType(typeOf(urn));
    req.setId(id);
    req.setProperties(this.struct(properties));
    req.setOldInputs(this.struct(oldInputs));
    await this.call("delete", req);
  }

  /** Ends the plugin process (the CLI kills its plugins when a command ends). */
  async stop(): Promise<void> {
    this.client.close();
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.process.once("exit", () => resolve());
      this.process.kill("SIGTERM");
    });
  }
}

/** `urn:pulumi:<stack>::<project>::<qualified type>::<name>` → name (names may contain `::`). */
export function nameOf(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** The resource's own type: the last `$`-separated part of the qualified type. */
export function typeOf(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}
