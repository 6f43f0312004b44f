import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { AdminCertificate } from './certificate.ts';

/**
 * `GET /api/tls`: what the admin needs to check the certificate the browser was shown
 * (its SHA-256 fingerprint, as printed on the console at start), and the SIP-over-TLS one
 * (`sip`, when transports has tls) to pin on phones, for the UI to display.
 */
export function tlsRoutes(cert: AdminCertificate | undefined, sipCert?: AdminCertificate): Route[] {
  return [{ method: 'GET', path: '/api/tls', handler: () => json(presentTls(cert, sipCert)) }];
}

/** One certificate as `GET /api/tls` shows it. */
export function describeCertificate(c: AdminCertificate) {
  return { fingerprint: c.fingerprint, generated: c.generated, notAfter: c.notAfter, names: c.names };
}

/** A certificate as the System page shows it: the API's describeCertificate. */
export type CertificateView = ReturnType<typeof describeCertificate>;

/** `GET /api/tls`: the admin listener's certificate (its fields at the top level, when HTTPS) and the SIP one. */
export interface TlsView extends Partial<CertificateView> {
  readonly https: boolean;
  readonly sip?: CertificateView;
}

/** The reply of `GET /api/tls`. */
export function presentTls(cert: AdminCertificate | undefined, sipCert?: AdminCertificate): TlsView {
  const sip = sipCert ? { sip: describeCertificate(sipCert) } : {};
  return cert ? { https: true, ...describeCertificate(cert), ...sip } : { https: false, ...sip };
}
