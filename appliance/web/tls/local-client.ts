import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplianceConfig } from '../../../system/config/index.ts';
import { urlHost } from '../listeners.ts';
import { CERT_FILE, TLS_DIR } from './certificate.ts';

/**
 * How a local client (the CLI's command channel) reaches this appliance's admin listener:
 * the base URL, and for HTTPS the fetch `tls` options. The generated certificate is pinned
 * (it is the only trust anchor, read from the data directory); the admin's own certificate is
 * checked against the system's roots. The host name is not checked: the client dials the
 * listener's own address, which is not a name the certificate needs to carry.
 */
export interface LocalListener {
  readonly base: string;
  readonly tls?: { readonly ca?: string; readonly checkServerIdentity: () => undefined };
}

export function localListener(config: ApplianceConfig): LocalListener {
  const web = config.web;
  const base = `${web.https ? 'https' : 'http'}://${urlHost(web.listen)}:${web.port}`;
  if (!web.https) return { base };
  const skipName = () => undefined;
  if (web.cert) return { base, tls: { checkServerIdentity: skipName } };
  let ca: string | undefined;
  try {
    ca = readFileSync(join(config.dataDir, TLS_DIR, CERT_FILE), 'utf8');
  } catch {
    ca = undefined; // not started yet: the request fails on the self-signed certificate, as it should
  }
  return { base, tls: { ...(ca ? { ca } : {}), checkServerIdentity: skipName } };
}
