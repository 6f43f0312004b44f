import { resolve } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import { bool, int, str, table, type Field } from './fields.ts';

/**
 * `[sip.tls]`: SIP over TLS (RFC 3261 §26, RFC 5630), used when `[sip] transports` has "tls".
 * Without `cert`/`key` the appliance generates a self-signed certificate for its names at first
 * start (`<data_dir>/tls/sip-cert.pem`, key 0600) and reuses it afterwards.
 */
export interface SipTlsConfig {
  /** The TLS listener's port, shared by every connection control section (SO_REUSEPORT). */
  readonly port: number;
  /** The admin's own certificate and key (PEM files, absolute paths); both or neither. */
  readonly cert?: string;
  readonly key?: string;
  /**
   * Verify the certificate of servers we open TLS connections to (other domains, trunks):
   * against the system CAs, or `ca` when set. Phones are reached over the connection they
   * registered on, which they opened (their certificate is not asked for).
   */
  readonly verify: boolean;
  /** A PEM bundle of CAs trusted instead of the system ones for outgoing connections. */
  readonly ca?: string;
}

export const SIP_TLS_DEFAULTS = { port: 5061, verify: true };

/** A key that may be absent (TOML has no null, so only the defaults give it). */
const optional = <T>(f: Field<T>): Field<T | null> => (v, key) => (v === null ? null : f(v, key));
const path = str({ pattern: /^\S(.*\S)?$/, hint: 'a file path' });

/**
 * Validates `[sip.tls]`; relative paths are resolved against `baseDir`. `sipPort` is the
 * plain SIP port, which the TLS port may not share (unless both are 0, any free port).
 */
export function parseSipTlsConfig(raw: unknown, baseDir: string, sipPort: number): SipTlsConfig {
  const t = table(raw, 'sip.tls', { port: int(0, 65535), cert: optional(path), key: optional(path), verify: bool, ca: optional(path) },
    { ...SIP_TLS_DEFAULTS, cert: null, key: null, ca: null });
  if ((t.cert === null) !== (t.key === null)) throw new ConfigError(t.cert === null ? 'sip.tls.cert' : 'sip.tls.key', 'set sip.tls.cert and sip.tls.key together');
  if (t.port !== 0 && t.port === sipPort) throw new ConfigError('sip.tls.port', `is the same as sip.port (${sipPort}): TLS needs a port of its own`);
  return {
    port: t.port, verify: t.verify,
    ...(t.cert !== null && t.key !== null ? { cert: resolve(baseDir, t.cert), key: resolve(baseDir, t.key) } : {}),
    ...(t.ca !== null ? { ca: resolve(baseDir, t.ca) } : {}),
  };
}
