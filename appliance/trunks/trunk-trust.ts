import type { TrunkConfig } from '../../system/config/trunk-config.ts';
import type { Destination } from '../sip/transport/transport.ts';

/**
 * How a trunk's provider is trusted over TLS (RFC 3261 §26.2.1, RFC 5922 §7): its certificate is
 * always verified (whatever `[sip.tls] verify` says for other servers), against the trunk's
 * `tls_ca` when it names one, else the system CAs; one refused fails the trunk with why.
 */
export function trunkTrust(t: TrunkConfig): NonNullable<Destination['trust']> {
  return t.tlsCa === undefined ? {} : { ca: t.tlsCa };
}

/** `dest` with the trunk's trust when it is TLS; as it is otherwise. */
export function withTrunkTrust(dest: Destination, t: TrunkConfig): Destination {
  return dest.transport === 'tls' ? { ...dest, trust: trunkTrust(t) } : dest;
}
