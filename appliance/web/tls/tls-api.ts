import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { AdminCertificate } from './certificate.ts';

/**
 * `GET /api/tls`: what the admin needs to check the certificate the browser was shown
 * (its SHA-256 fingerprint, as printed on the console at start), and the SIP-over-TLS one
 * (`sip`, when transports has tls) to pin on phones, for the UI to display.
 */
export function tlsRoutes(cert: AdminCertificate | undefined, sipCert?: AdminCertificate): Route[] {
  const sip = sipCert ? { sip: describe(sipCert) } : {};
  return [{
    method: 'GET', path: '/api/tls', handler: () => json(cert
      ? { https: true, ...describe(cert), ...sip }
      : { https: false, ...sip }),
  }];
}

function describe(c: AdminCertificate) {
  return { fingerprint: c.fingerprint, generated: c.generated, notAfter: c.notAfter, names: c.names };
}
