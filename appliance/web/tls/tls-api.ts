import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { AdminCertificate } from './certificate.ts';

/**
 * `GET /api/tls`: what the admin needs to check the certificate the browser was shown
 * (its SHA-256 fingerprint, as printed on the console at start), for the UI to display.
 */
export function tlsRoutes(cert: AdminCertificate | undefined): Route[] {
  return [{
    method: 'GET', path: '/api/tls', handler: () => json(cert
      ? { https: true, fingerprint: cert.fingerprint, generated: cert.generated, notAfter: cert.notAfter, names: cert.names }
      : { https: false }),
  }];
}
