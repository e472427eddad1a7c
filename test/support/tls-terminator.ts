/**
 * A TLS terminator for tests: an HTTPS server on 127.0.0.1 (a free port) in front of an http://
 * upstream (the suite's Keystone or Glance), with a throwaway CA generated at test time by the
 * `openssl` binary and a server certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) that CA
 * signed. Node's crypto can make keys but not X.509 certificates, hence openssl; when it is
 * missing, `createTestCa` throws (the test fails, it is never skipped) saying so.
 *
 *     const ca = createTestCa();                          // one CA for several terminators
 *     const keystone = await startTlsTerminator(origin(testCloud().authUrl), { ca });
 *     const glance = await startTlsTerminator(testCloud().imageUrl, { ca });
 *     openImageService({ cloud: "producer" }, { env: { OS_CLIENT_CONFIG_FILE:
 *       cloudsFileVia(cloudsFile, { keystone: keystone.url, glance: glance.url, cacert: ca.caFile }) } });
 *     ...
 *     await Promise.all([keystone.close(), glance.close()]); ca.dispose();
 *
 * Requests are forwarded like dev/harness/fault-proxy.ts does (streamed bodies, every end-to-end
 * header, keep-alive), without faults. `requests` counts the requests that got through TLS, so a
 * test can prove that a client refusing the certificate sent nothing.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { forward, SeenSecrets, upstreamOf } from "../../dev/harness/fault-proxy";

export interface TestCa {
  /** PEM file of the CA certificate: what `cacertFile` / clouds.yaml `cacert` should name. */
  caFile: string;
  /** A key and certificate for 127.0.0.1 signed by this CA (PEM). */
  serverKey: string;
  serverCert: string;
  /** Removes the CA's directory (keys included). */
  dispose(): void;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8", timeout: 30_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT"
        ? "the TLS tests need the `openssl` binary to generate a test CA, and it is not on PATH: install it (apt-get install openssl)"
        : `running openssl ${args[0]} failed: ${r.error.message}`,
    );
  }
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} exited with ${r.status}: ${(r.stderr || r.stdout).trim().slice(-800)}`);
}

/** Generates a CA (EC P-256, valid 2 days) and a server certificate for 127.0.0.1 in a temporary dir. */
export function createTestCa(): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "test-ca-"));
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
      [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=pulumi-image-members test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      dir,
    );
    openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
    fs.writeFileSync(
      path.join(dir, "server.ext"),
      [
        "subjectAltName=IP:127.0.0.1",
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        "",
      ].join("\n"),
    );
    openssl(
      [
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        `0x${randomBytes(8).toString("hex")}`,
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
      ],
      dir,
    );
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    caFile: path.join(dir, "ca.pem"),
    serverKey: fs.readFileSync(path.join(dir, "server.key"), "utf8"),
    serverCert: fs.readFileSync(path.join(dir, "server.pem"), "utf8"),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsTerminator {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** The CA that signed the server certificate (PEM file). */
  readonly caFile: string;
  /** Requests that came through TLS (and were forwarded). */
  readonly requests: number;
  /** TLS handshakes that failed (e.g. a client refusing the certificate). */
  readonly handshakeFailures: number;
  /** True when `text` contains a token seen in a header (values are never exposed). */
  containsSecret(text: string): boolean;
  /** Stops listening and drops connections; removes the CA too when the terminator made its own. */
  close(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1 forwarding to `upstream` (http://, path prefix kept).
 * Without `ca`, it makes its own (see `createTestCa`).
 */
export async function startTlsTerminator(upstream: string, options: { ca?: TestCa } = {}): Promise<TlsTerminator> {
  const up = upstreamOf(upstream);
  const ca = options.ca ?? createTestCa();
  const seen = new SeenSecrets();
  let requests = 0;
  let handshakeFailures = 0;
  const server = https.createServer({ key: ca.serverKey, cert: ca.serverCert }, (req, res) => {
    requests++;
    seen.note(req.headers);
    void forward(req, res, up, seen);
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on("tlsClientError", (_e, socket) => {
    handshakeFailures++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: ca.caFile,
    get requests() {
      return requests;
    },
    get handshakeFailures() {
      return handshakeFailures;
    },
    containsSecret: (text) => seen.containsSecret(text),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      up.agent.destroy();
      if (!options.ca) ca.dispose();
    },
  };
}
