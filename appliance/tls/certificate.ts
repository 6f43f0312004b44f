import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '../../system/errors/index.ts';

/**
 * A listener's TLS certificate (the admin listener's, SIP over TLS's): the admin's own (`[web]
 * cert`/`key`, `[sip.tls] cert`/`key`), or one this appliance generates at first start (ECDSA
 * P-256, self-signed, 10 years) and keeps under `<data_dir>/tls/` (directory 0700, files 0600),
 * reused on every later start. It is made again only when a file is missing or unreadable, it
 * expires within 30 days, or it does not name every address and host it must answer for.
 *
 * X.509 generation is not in Bun or node:crypto: `@peculiar/x509` builds it over WebCrypto
 * (with its documented `reflect-metadata` polyfill, loaded only when a certificate is made).
 */
export interface TlsCertificate {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 over the DER certificate, colon-separated upper-case hex (as browsers show it). */
  readonly fingerprint: string;
  /** True when this appliance made it (self-signed), false for the admin's own. */
  readonly generated: boolean;
  /** True when it was made during this start. */
  readonly createdNow: boolean;
  readonly certPath: string;
  readonly notAfter: string;
  /** DNS names and IP addresses in its subjectAltName. */
  readonly names: readonly string[];
}

/** The admin listener's name for it (the same shape). */
export type AdminCertificate = TlsCertificate;

export const TLS_DIR = 'tls';
/** The admin listener's generated files (the default). */
export const CERT_FILE = 'admin-cert.pem';
export const KEY_FILE = 'admin-key.pem';
const RENEW_BEFORE_MS = 30 * 86_400_000;
const VALID_MS = 3650 * 86_400_000;

export interface CertificateSource {
  readonly dataDir: string;
  /** The admin's own PEM files; both or neither. */
  readonly certPath?: string;
  readonly keyPath?: string;
  /** Names and addresses the generated certificate must carry (listen address, [web] hosts). */
  readonly names: readonly string[];
  readonly now?: number;
  /** File names of the generated pair under `<data_dir>/tls/`; default the admin listener's. */
  readonly files?: { readonly cert: string; readonly key: string };
  /** Subject common name of a generated certificate. */
  readonly commonName?: string;
  /** The config key named when the admin's own files are unusable (default `web.cert`). */
  readonly configKey?: string;
}

/** Generations under way in this process, by certificate path (two callers, one certificate). */
const making = new Map<string, Promise<TlsCertificate>>();

/** Loads the admin's certificate, or the generated one (making it when needed). */
export async function loadOrCreateCertificate(src: CertificateSource): Promise<TlsCertificate> {
  if (src.certPath && src.keyPath) return loadAdminOwn(src.certPath, src.keyPath, src.configKey ?? 'web.cert');
  const dir = join(src.dataDir, TLS_DIR);
  const certPath = join(dir, src.files?.cert ?? CERT_FILE);
  const under = making.get(certPath);
  if (under) return under;
  const p = loadOrGenerate(src, dir, certPath, join(dir, src.files?.key ?? KEY_FILE));
  making.set(certPath, p);
  try {
    return await p;
  } finally {
    making.delete(certPath);
  }
}

async function loadOrGenerate(src: CertificateSource, dir: string, certPath: string, keyPath: string): Promise<TlsCertificate> {
  const now = src.now ?? Date.now();
  const wanted = [...new Set(src.names.map((n) => n.toLowerCase()))];
  const existing = readPair(certPath, keyPath);
  if (existing) {
    const info = describe(existing.cert);
    const fresh = Date.parse(info.notAfter) - now > RENEW_BEFORE_MS;
    if (fresh && wanted.every((n) => info.names.includes(n))) return { ...existing, ...info, generated: true, createdNow: false, certPath };
  }
  const made = await generate(wanted, now, src.commonName ?? 'office-sip-appliance admin');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeSecret(keyPath, made.key);
  writeSecret(certPath, made.cert);
  return { ...made, ...describe(made.cert), generated: true, createdNow: true, certPath };
}

/** Names a generated certificate should carry for a listener on `listen` with `hosts`. */
export function certificateNames(listen: string, hosts: readonly string[]): string[] {
  const names = ['localhost', '127.0.0.1', '::1', ...hosts];
  if (listen !== '0.0.0.0' && listen !== '::') names.push(listen);
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

function loadAdminOwn(certPath: string, keyPath: string, configKey: string): TlsCertificate {
  const pair = readPair(certPath, keyPath);
  if (!pair) throw new ConfigError(configKey, `cannot read ${certPath} and ${keyPath}`);
  let info: ReturnType<typeof describe>;
  try {
    info = describe(pair.cert);
  } catch (err) {
    throw new ConfigError(configKey, `${certPath} is not a PEM certificate: ${(err as Error).message}`);
  }
  return { ...pair, ...info, generated: false, createdNow: false, certPath };
}

function readPair(certPath: string, keyPath: string): { cert: string; key: string } | undefined {
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  try {
    const cert = readFileSync(certPath, 'utf8');
    const key = readFileSync(keyPath, 'utf8');
    return cert.includes('BEGIN CERTIFICATE') && key.includes('PRIVATE KEY') ? { cert, key } : undefined;
  } catch {
    return undefined;
  }
}

function describe(pem: string): { fingerprint: string; notAfter: string; names: string[] } {
  const c = new X509Certificate(pem);
  const names = (c.subjectAltName ?? '').split(/,\s*/).filter(Boolean).map((e) => e.replace(/^(DNS|IP Address):/, '').toLowerCase());
  return { fingerprint: c.fingerprint256, notAfter: new Date(c.validTo).toISOString(), names: names.map(normaliseIp) };
}

/** `0:0:0:0:0:0:0:1` (as node prints IPv6 SANs) → `::1`. */
function normaliseIp(name: string): string {
  if (isIP(name) !== 6) return name;
  return new URL(`http://[${name}]/`).hostname.replace(/^\[|\]$/g, '');
}

/** Writes a file readable by its owner only, atomically (temp file + rename). */
function writeSecret(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

async function generate(names: readonly string[], now: number, commonName: string): Promise<{ cert: string; key: string }> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const serial = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  serial[0] &= 0x7f; // a positive INTEGER (RFC 5280 §4.1.2.2)
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + VALID_MS),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? 'ip' as const : 'dns' as const, value: n }))),
    ],
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}
