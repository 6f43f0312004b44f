import { resolve } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import { bool, int, list, str, table, type Field } from './fields.ts';

/** The admin listener (`[web]`): web UI, admin API, command channel, and by default the peer API. */
export interface WebConfig {
  readonly listen: string;
  readonly port: number;
  /** Serve over TLS (default true). Off only for a reverse proxy on the same host, or tests. */
  readonly https: boolean;
  /**
   * The admin's own certificate and key (PEM files, absolute paths); undefined = a self-signed
   * certificate generated at first start under `<data_dir>/tls/` and reused afterwards.
   */
  readonly cert?: string;
  readonly key?: string;
  /** A plain-HTTP listener on this port that answers 308 to the HTTPS URL; 0 = none. */
  readonly httpRedirectPort: number;
  /**
   * Names (or addresses) the admin types in the browser; with the listen address (and, on
   * loopback, localhost) they are the only Host values served: anything else gets 421 (DNS
   * rebinding defence).
   */
  readonly hosts: readonly string[];
  /** A separate listener address for the peer API (`/peer/*`); undefined = on the admin listener. */
  readonly peerListen?: string;
  /** Port of the separate peer listener (0 = any free port); only with `peerListen`. */
  readonly peerPort: number;
  /** Minutes the first-run setup token printed at start stays valid. */
  readonly setupTokenMinutes: number;
}

const address = str({ pattern: /^[0-9a-fA-F:.]+$/, hint: 'an IP address' });
const port: Field<number> = int(0, 65535);
/** A Host name or address as typed in a browser (no port, no scheme). */
/** A key that may be absent: `null` stands for "not set" (TOML has no null, so a file cannot give it). */
const optional = <T>(f: Field<T>): Field<T | null> => (v, key) => (v === null ? null : f(v, key));
const hostName = str({ pattern: /^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9-]{0,62}\.?)*)$/, hint: 'a host name or IP address without port' });

export const WEB_DEFAULTS = {
  listen: '127.0.0.1', port: 8080, https: true, http_redirect_port: 0, hosts: [] as string[], peer_port: 8081, setup_token_minutes: 30,
};

/** Validates the `[web]` table; relative cert/key paths are resolved against `baseDir`. */
export function parseWebConfig(raw: unknown, baseDir: string): WebConfig {
  const web = table(raw, 'web', {
    listen: address, port, https: bool, cert: optional(str()), key: optional(str()), http_redirect_port: port, hosts: list(hostName),
    peer_listen: optional(address), peer_port: port, setup_token_minutes: int(1, 7 * 24 * 60),
  }, { ...WEB_DEFAULTS, cert: null, key: null, peer_listen: null });
  const has = (k: string) => typeof raw === 'object' && raw !== null && k in raw;
  if ((web.cert === null) !== (web.key === null)) throw new ConfigError(web.cert === null ? 'web.cert' : 'web.key', 'set web.cert and web.key together');
  if (web.cert !== null && !web.https) throw new ConfigError('web.cert', 'is set but web.https is false');
  if (web.http_redirect_port !== 0 && !web.https) throw new ConfigError('web.http_redirect_port', 'redirects to HTTPS: set web.https = true');
  if (web.http_redirect_port !== 0 && web.http_redirect_port === web.port) throw new ConfigError('web.http_redirect_port', 'is the same as web.port');
  if (has('peer_port') && web.peer_listen === null) throw new ConfigError('web.peer_port', 'needs web.peer_listen');
  return {
    listen: web.listen, port: web.port, https: web.https,
    ...(web.cert !== null && web.key !== null ? { cert: resolve(baseDir, web.cert), key: resolve(baseDir, web.key) } : {}),
    httpRedirectPort: web.http_redirect_port,
    hosts: web.hosts.map((h) => h.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase()),
    ...(web.peer_listen !== null ? { peerListen: web.peer_listen } : {}),
    peerPort: web.peer_port,
    setupTokenMinutes: web.setup_token_minutes,
  };
}
