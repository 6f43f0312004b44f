import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CA made for a test, and a server certificate it signed. */
export interface TestCa {
  /** The CA's certificate (PEM file): what a client trusts. */
  readonly caCert: string;
  readonly caKey: string;
  /** Makes a certificate for `ip` (subjectAltName IP) signed by this CA; returns its cert and key files. */
  issue(ip: string, name: string): { readonly cert: string; readonly key: string };
}

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(['openssl', ...args], { cwd, stdout: 'pipe', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

/** Makes a CA (RSA 2048, 2 days) named `name` in `dir` with the `openssl` tool (Debian `openssl`). */
export function makeTestCa(dir: string, name: string): TestCa {
  const caKey = join(dir, `${name}-ca.key`);
  const caCert = join(dir, `${name}-ca.pem`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=${name} test CA`], dir);
  return {
    caCert, caKey,
    issue(ip: string, host: string) {
      const key = join(dir, `${host}.key`);
      const csr = join(dir, `${host}.csr`);
      const cert = join(dir, `${host}.pem`);
      const ext = join(dir, `${host}.ext`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${host}`], dir);
      writeFileSync(ext, `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`);
      openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], dir);
      return { cert, key };
    },
  };
}
