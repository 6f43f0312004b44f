import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TCPSocketListener } from 'bun';
import { TcpEndpoints } from '../../../../appliance/sip/transport/tcp-transport.ts';
import type { SipTcpLimits } from '../../../../system/config/index.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { makeTestCa } from '../../../support/test-ca.ts';

/**
 * The TLS edge's own connections with a trust (a trunk's provider, docs/TRUNKS.md "Trunks over
 * TLS"): verified against the given CAs whatever the edge's `verify` says, a refused certificate
 * told to the sender with why, and a connection verified otherwise (or not at all) never lent to
 * a send that names a trust. A TLS server (Bun.listen) on 127.1.24.40 with a certificate from a
 * CA made with openssl; the edge on 127.1.24.41.
 */
const HAVE = requireTool('openssl');
const SERVER = '127.1.24.40';
const EDGE = '127.1.24.41';
const limits: SipTcpLimits = { maxConnections: 50, maxPerSource: 50, idleTimeout: 7260, firstMessageTimeout: 30, messageTimeout: 10 };

let dir = '';
let server: TCPSocketListener<undefined>;
let received = '';
let accepted = 0;
let caPem = '';
let otherPem = '';
const edges: TcpEndpoints[] = [];

/** The TLS edge with its own (throw-away) certificate; `verify` as `[sip.tls] verify`. */
function edge(verify: boolean, cert: { cert: string; key: string }): TcpEndpoints {
  const e = new TcpEndpoints(EDGE, () => {}, limits, () => {}, { cert: readFileSync(cert.cert, 'utf8'), key: readFileSync(cert.key, 'utf8'), verify });
  e.open(0);
  edges.push(e);
  return e;
}
/** Resolves with the reason given to onFailed, or 'sent' once the server has the bytes. */
async function outcome(e: TcpEndpoints, text: string, trust?: { ca?: string }): Promise<string> {
  return new Promise((resolve) => {
    const ok = e.send(SERVER, server.port, Buffer.from(text), undefined, true, undefined, { trust, onFailed: resolve });
    if (!ok) resolve('refused at once');
    const until = Date.now() + 3000;
    const poll = setInterval(() => {
      if (received.includes(text)) resolve('sent');
      else if (Date.now() > until) resolve('nothing');
      else return;
      clearInterval(poll);
    }, 10);
  });
}

describe.skipIf(!HAVE)('TLS connections of ours with a trust', () => {
  let edgeCert: { cert: string; key: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tls-trust-'));
    const ca = makeTestCa(dir, 'provider');
    const other = makeTestCa(dir, 'other');
    caPem = readFileSync(ca.caCert, 'utf8');
    otherPem = readFileSync(other.caCert, 'utf8');
    const cert = ca.issue(SERVER, 'server');
    edgeCert = other.issue(EDGE, 'edge');
    server = Bun.listen<undefined>({
      hostname: SERVER, port: 0, tls: { cert: readFileSync(cert.cert, 'utf8'), key: readFileSync(cert.key, 'utf8') },
      socket: { open: () => { accepted++; }, data: (_s, d) => { received += d.toString(); } },
    });
  });
  afterAll(async () => {
    for (const e of edges) await e.close();
    server?.stop(true);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the right CA: the bytes arrive after the handshake', async () => {
    expect(await outcome(edge(true, edgeCert), 'HELLO-RIGHT-CA', { ca: caPem })).toBe('sent');
  });

  test('another CA, or the system CAs: the sender is told why at once, nothing arrives', async () => {
    const e = edge(true, edgeCert);
    const started = Date.now();
    expect(await outcome(e, 'HELLO-OTHER-CA', { ca: otherPem })).toMatch(/^the server's certificate was refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(await outcome(e, 'HELLO-SYSTEM-CA', {})).toMatch(/^the server's certificate was refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(received).not.toContain('HELLO-OTHER-CA');
    expect(received).not.toContain('HELLO-SYSTEM-CA');
  });

  test('attack: a trust is verified even where the edge verifies nothing, and never rides a connection opened without it', async () => {
    const lax = edge(false, edgeCert);
    // [sip.tls] verify = false: another server's connection is opened unverified...
    expect(await outcome(lax, 'HELLO-UNVERIFIED')).toBe('sent');
    const before = accepted;
    // ...but a send for a trunk whose CA is another one does not use it, and is refused.
    expect(await outcome(lax, 'HELLO-TRUNK-WRONG', { ca: otherPem })).toMatch(/certificate was refused/);
    expect(received).not.toContain('HELLO-TRUNK-WRONG');
    // With the right CA: a connection of its own, verified (the server's open counts finished
    // handshakes: the refused one is not among them; riding the unverified one would add none).
    expect(await outcome(lax, 'HELLO-TRUNK-RIGHT', { ca: caPem })).toBe('sent');
    expect(accepted).toBe(before + 1);
  });
});
