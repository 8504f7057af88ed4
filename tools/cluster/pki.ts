// Certificates for the embedded control plane, made with the `openssl` CLI (node:crypto cannot
// issue X.509 certificates): a cluster CA (API server serving cert, kwok's serving cert, the
// controller-manager's CSR signer, client-ca for x509 users), a front-proxy CA for the
// aggregation layer, and a separate stand-in CA for the loopback admission server. The service
// account signing key is an RSA key from node:crypto. Keys are EC P-256 (fast to generate).
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  frontProxyCaCert: string;
  frontProxyClientCert: string;
  frontProxyClientKey: string;
  kwokCert: string;
  kwokKey: string;
  standinCaCert: string;
  standinCert: string;
  standinKey: string;
  saKey: string;
  saPub: string;
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e: any) {
    const err = e?.stderr ? String(e.stderr) : String(e);
    throw new Error(`openssl ${args.slice(0, 2).join(" ")} failed: ${err}${e?.code === "ENOENT" ? " (install the openssl package)" : ""}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCa(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "3650",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  return { cert, key };
}

function makeLeaf(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  subject: string,
  usage: "serverAuth" | "clientAuth",
  sans: string[] = [],
): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "825",
    "-subj",
    subject,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-addext",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "-addext",
    `extendedKeyUsage=${usage}`,
    ...(sans.length ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
  ]);
  return { cert, key };
}

/** Creates the PKI under `dir` (reusing it when it is already complete). */
export function ensurePki(dir: string, serviceIp: string): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki: Pki = {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    apiserverCert: join(dir, "apiserver.crt"),
    apiserverKey: join(dir, "apiserver.key"),
    frontProxyCaCert: join(dir, "front-proxy-ca.crt"),
    frontProxyClientCert: join(dir, "front-proxy-client.crt"),
    frontProxyClientKey: join(dir, "front-proxy-client.key"),
    kwokCert: join(dir, "kwok.crt"),
    kwokKey: join(dir, "kwok.key"),
    standinCaCert: join(dir, "standin-ca.crt"),
    standinCert: join(dir, "standin.crt"),
    standinKey: join(dir, "standin.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
  };
  if (Object.values(pki).every((p) => existsSync(p))) return pki;

  const ca = makeCa(dir, "ca", "kubernetes-ca");
  makeLeaf(dir, "apiserver", ca, "/CN=kube-apiserver", "serverAuth", [
    "IP:127.0.0.1",
    `IP:${serviceIp}`,
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
  ]);
  makeLeaf(dir, "kwok", ca, "/CN=kwok", "serverAuth", ["IP:127.0.0.1", "DNS:localhost"]);
  const fp = makeCa(dir, "front-proxy-ca", "front-proxy-ca");
  makeLeaf(dir, "front-proxy-client", fp, "/CN=front-proxy-client", "clientAuth");
  const st = makeCa(dir, "standin-ca", "platform-standin-admission-ca");
  makeLeaf(dir, "standin", st, "/CN=standin-admission", "serverAuth", ["IP:127.0.0.1"]);

  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(pki.saKey, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(pki.saPub, publicKey.export({ type: "spki", format: "pem" }));
  return pki;
}

export function readPem(path: string): string {
  return readFileSync(path, "utf8");
}
