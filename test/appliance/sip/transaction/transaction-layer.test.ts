import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import { buildResponse } from '../../../../appliance/sip/message/encode.ts';
import type { SipRequest, Source } from '../../../../appliance/sip/message/types.ts';
import { TransactionLayer } from '../../../../appliance/sip/transaction/transaction-layer.ts';
import type { ClientTransaction } from '../../../../appliance/sip/transaction/client-transaction.ts';
import type { ServerTransaction } from '../../../../appliance/sip/transaction/server-transaction.ts';
import type { Destination, SipTransport } from '../../../../appliance/sip/transport/transport.ts';

/**
 * TransactionLayer.pending (issue 12/16): the transactions still waiting for a final response,
 * counted as they settle instead of scanned (the load monitor reads it every 50 ms; a scan of a
 * burst's lingering transactions took 21 % of a worker's CPU). Each case drives real
 * transactions through RFC 3261 §17 paths and checks the count against the definition (a
 * transaction is pending while Trying/Calling/Proceeding) after every step.
 */
const fixture = (name: string) => readFileSync(join(import.meta.dir, '../../../fixtures/sip', name), 'latin1');
function request(text: string): SipRequest {
  const d = decodeMessage(text);
  if (d.kind !== 'request') throw new Error(`fixture did not decode: ${d.kind}`);
  return d.msg;
}
const INVITE = fixture('invite-routed.sip');
const REGISTER = fixture('register-compact.sip');
const UDP: Source = { transport: 'udp', address: '127.0.230.2', port: 5060, localPort: 5060 };
const TCP: Source = { transport: 'tcp', address: '127.0.230.2', port: 40001, localPort: 5060, connection: 'tcp:127.0.230.2:40001' };
const DEST: Destination = { transport: 'udp', address: '127.0.230.3', port: 5060 };

/** A transport that accepts every send (the layer's only collaborator; nothing leaves the process). */
const transport: SipTransport = { send: () => true, hasConnection: () => false, close: async () => {} };
const user = { onResponse: () => {}, onTimeout: () => {} };

type Step = (x: { layer: TransactionLayer; st: ServerTransaction[]; ct: ClientTransaction[] }) => void;
const server = (text: string, source = UDP): Step => ({ layer, st }) => {
  const req = request(text);
  st.push(layer.createServer(`k${st.length}`, req, source));
};
const client = (text: string): Step => ({ layer, ct }) => {
  const c = layer.createClient(request(text), DEST, user);
  c.start();
  ct.push(c);
};
const respond = (i: number, status: number): Step => ({ st }) => {
  const t = st[i]!;
  // After the final response the request is released: the lingering 2xx is built from the first one's headers.
  st[i]!.respond(buildResponse(request(t.method === 'INVITE' ? INVITE : REGISTER), status, undefined, {}, 'tt'));
};
const receive = (i: number, status: number): Step => ({ ct }) => {
  const c = ct[i]!;
  const req = request(c.method === 'INVITE' ? INVITE : REGISTER);
  c.receive(buildResponse(req, status, undefined, {}, 'tt'));
};
const ack = (i: number): Step => ({ st }) => st[i]!.onAck();
const endServer = (i: number): Step => ({ st }) => st[i]!.terminate();
const endClient = (i: number): Step => ({ ct }) => ct[i]!.terminate();

/** The definition the counter must equal (what the old scan computed). */
function scanned(st: ServerTransaction[], ct: ClientTransaction[]): number {
  return st.filter((t) => t.state === 'trying' || t.state === 'proceeding').length
    + ct.filter((t) => t.state === 'calling' || t.state === 'trying' || t.state === 'proceeding').length;
}

const cases: [string, Step[], number][] = [
  ['server non-INVITE: 100 then 200 settles it; it lingers (Timer J)', [server(REGISTER), respond(0, 100), respond(0, 200)], 0],
  ['server non-INVITE over TCP: the 200 ends it at once', [server(REGISTER, TCP), respond(0, 200)], 0],
  ['server INVITE: 180 leaves it pending', [server(INVITE), respond(0, 180)], 1],
  ['server INVITE: 486, then the ACK (Completed, Confirmed)', [server(INVITE), respond(0, 180), respond(0, 486), ack(0)], 0],
  ['server INVITE: 2xx, then a second 2xx in Accepted (RFC 6026)', [server(INVITE), respond(0, 200), respond(0, 200)], 0],
  ['server INVITE ended without an answer (shutdown)', [server(INVITE), endServer(0)], 0],
  ['server INVITE: answered, then ended, then ended again', [server(INVITE), respond(0, 486), endServer(0), endServer(0)], 0],
  ['client non-INVITE: 100 then 200, then a retransmitted 200', [client(REGISTER), receive(0, 100), receive(0, 200), receive(0, 200)], 0],
  ['client INVITE: 180 leaves it pending', [client(INVITE), receive(0, 180)], 1],
  ['client INVITE: 2xx (Accepted), then ended by Timer M', [client(INVITE), receive(0, 200), endClient(0)], 0],
  ['client INVITE: 503 (Completed, ACK sent), then ended', [client(INVITE), receive(0, 503), endClient(0)], 0],
  ['client ended without a response (CANCELled branch, timeout)', [client(INVITE), endClient(0), endClient(0)], 0],
  ['a mix: two waiting, three settled', [server(INVITE), server(REGISTER), client(INVITE), client(REGISTER), server(INVITE),
    respond(1, 200), receive(0, 486), respond(2, 200), respond(0, 180)], 2],
];

describe('TransactionLayer.pending: counted, equal to the definition after every step', () => {
  for (const [name, steps, want] of cases) {
    test(name, () => {
      const layer = new TransactionLayer();
      layer.attach(transport);
      const x = { layer, st: [] as ServerTransaction[], ct: [] as ClientTransaction[] };
      try {
        for (const step of steps) {
          step(x);
          expect(layer.pending).toBe(scanned(x.st, x.ct));
        }
        expect(layer.pending).toBe(want);
      } finally {
        layer.close();
      }
      expect(layer.pending).toBe(0);
      expect(layer.open).toBe(0);
    });
  }
});
