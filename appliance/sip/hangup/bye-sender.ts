import { randomBytes } from 'node:crypto';
import type { SipRequest } from '../message/types.ts';
import { parseSipUri, type SipUri } from '../message/uri.ts';
import { ourVia, type ForwardIdentity } from '../proxy/forwarding.ts';
import type { Target } from '../proxy/targets.ts';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction.ts';
import type { Destination } from '../transport/transport.ts';
import { advertiseFor } from '../transport/advertise-for.ts';
import type { SipSettings } from '../pipeline/context.ts';
import { buildBye, nextHopOf, type ByeSpec } from './build-bye.ts';

/** How one BYE of a hang-up ended: the final response's status, 408 for Timer F or a transport error (RFC 3261 §17.1.2.2, §8.1.3.1). */
export interface ByeOutcome {
  readonly status: number;
  readonly reason: string;
  /** Milliseconds from handing the BYE to the client transaction to its final response. */
  readonly ms: number;
}

/** What sending a BYE of our own needs from the SIP service. */
export interface ByeSenderDeps {
  /** Starts a client transaction for a request of ours (sip-service.ts `request`). */
  readonly request: (req: SipRequest, dest: Destination, user: ClientTransactionUser) => ClientTransaction | undefined;
  /** Where a Route URI leads (the in-dialog stage's resolution: a registered phone's flow, an address, DNS). */
  readonly resolveUri: (uri: SipUri) => Target | undefined | Promise<Target | undefined>;
  /** Our Via identity on a message to `address` (its family's address, this worker's Via port). */
  readonly identity: (address: string) => Pick<ForwardIdentity, 'advertise' | 'port' | 'tlsPort' | 'viaPort'>;
}

/**
 * Sends one BYE of a hang-up in a non-INVITE client transaction (RFC 3261 §17.1.2) from this
 * worker and resolves with its outcome: any final response (200, 481 when the phone had ended
 * the dialog already, ...), or 408 when Timer F fired or the transport failed. Never rejects.
 */
export async function sendBye(spec: ByeSpec, deps: ByeSenderDeps): Promise<ByeOutcome> {
  const started = performance.now();
  const done = (status: number, reason: string): ByeOutcome => ({ status, reason, ms: Math.round(performance.now() - started) });
  const hop = nextHopOf(spec.leg);
  let dest: Destination | undefined = spec.leg.flow;
  if (hop.kind === 'uri') {
    const uri = parseSipUri(hop.uri);
    const target = uri ? await deps.resolveUri(uri) : undefined;
    dest = target?.dest;
  }
  if (!dest) return done(503, `no way to ${hop.kind === 'uri' ? hop.uri : spec.leg.target}`);
  const branch = `z9hG4bK-bye-${randomBytes(8).toString('hex')}`;
  const req = buildBye(spec, ourVia(dest.transport, branch, deps.identity(dest.address)));
  return new Promise<ByeOutcome>((resolve) => {
    const ct = deps.request(req, dest, {
      onResponse: (res) => {
        if (res.status >= 200) resolve(done(res.status, res.reason));
      },
      onTimeout: () => resolve(done(408, 'Request Timeout')),
    });
    if (!ct) resolve(done(503, 'the SIP service cannot send now'));
  });
}

/** The sender's needs met by a SIP service (a worker's `sip-service.ts`). */
export function byeSenderOf(service: Pick<ByeSenderDeps, 'request' | 'resolveUri'> & { readonly settings: SipSettings }): ByeSenderDeps {
  const s = service.settings;
  return {
    request: (req, dest, user) => service.request(req, dest, user),
    resolveUri: (uri) => service.resolveUri(uri),
    identity: (address) => ({ advertise: advertiseFor(s.advertiseByFamily, address), port: s.port, tlsPort: s.tlsPort, viaPort: s.viaPort }),
  };
}
