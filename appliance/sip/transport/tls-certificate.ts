import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ApplianceConfig } from '../../../system/config/index.ts';
import { ConfigError } from '../../../system/errors/index.ts';
import { loadOrCreateCertificate, type TlsCertificate } from '../../tls/certificate.ts';
import { ownSipHost } from '../../dns/zone-data.ts';
import type { StreamTls } from './tcp-transport.ts';

/** The generated SIP certificate's files under `<data_dir>/tls/` (next to the admin listener's). */
export const SIP_CERT_FILES = { cert: 'sip-cert.pem', key: 'sip-key.pem' } as const;

/**
 * Names a generated SIP certificate carries (subjectAltName): the SIP domain (RFC 5922 §7.1: a
 * phone that reached us through `_sips._tcp.<domain>` checks the domain), the SRV target
 * `sip.<zone>`, the advertise and listen addresses, and this host's name.
 */
export function sipCertificateNames(config: ApplianceConfig): string[] {
  const s = config.sip;
  const names = [s.domain, ownSipHost(config), s.advertise, hostname()];
  // Every family's advertised and listen address (dual stack, docs/SIP.md "IPv6").
  for (const l of s.listenAddresses) names.push(l.advertise, ...(l.address !== '0.0.0.0' && l.address !== '::' ? [l.address] : []));
  return [...new Set(names.filter((n) => /^[A-Za-z0-9.:-]+$/.test(n)).map((n) => n.toLowerCase()))];
}

/**
 * The certificate of the SIP TLS listener: `[sip.tls] cert`/`key`, or the generated one (made at
 * first start, reused afterwards; one owner of generation: appliance/tls/certificate.ts). The
 * control section calls this before it spawns the workers, so they all load the same pair.
 */
export function loadSipCertificate(config: ApplianceConfig): Promise<TlsCertificate> {
  return loadOrCreateCertificate({
    dataDir: config.dataDir, certPath: config.sip.tls.cert, keyPath: config.sip.tls.key, names: sipCertificateNames(config),
    files: SIP_CERT_FILES, commonName: 'office-sip-appliance SIP', configKey: 'sip.tls.cert',
  });
}

/**
 * What the TLS edge needs from the config (undefined when transports has no tls): the
 * certificate and key, the port, and how servers we connect to are verified (`[sip.tls] ca`
 * read once here, failing fast naming the key).
 */
export async function streamTlsFor(config: ApplianceConfig): Promise<(StreamTls & { port: number }) | undefined> {
  if (!config.sip.transports.includes('tls')) return undefined;
  const t = config.sip.tls;
  let ca: string | undefined;
  if (t.ca) {
    try {
      ca = readFileSync(t.ca, 'utf8');
    } catch (err) {
      throw new ConfigError('sip.tls.ca', `cannot read ${t.ca}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    if (!ca.includes('BEGIN CERTIFICATE')) throw new ConfigError('sip.tls.ca', `${t.ca} holds no PEM certificate`);
  }
  const cert = await loadSipCertificate(config);
  return { cert: cert.cert, key: cert.key, port: t.port, verify: t.verify, ...(ca ? { ca } : {}) };
}
