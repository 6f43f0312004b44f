import { tokenHop } from '../../proxy/flow-routes.ts';
import type { Stage } from '../context.ts';
import type { AbuseReporting, Configuration, Flows, Relay, Replies } from '../services.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Flows & AbuseReporting & Replies & Relay;

/**
 * A request a peer sends us for a TCP/TLS phone whose connection we hold (issue 19, RFC 5626
 * §5.3.1): the in-dialog stage popped our Route and kept the flow token of its user part; the
 * decision is the pure `tokenHop` (proxy/flow-routes.ts). Before hand-off, auth and routing: the
 * phone is reachable only over our connection, also while we hand new work to a peer, and it is
 * a peer that asks. A stranger's request with a token (made up, or copied off the wire) is
 * refused and counted as a forgery; nothing is relayed for it.
 */
export const flowToken: Stage<Uses> = {
  name: 'flow-token',
  run(ctx) {
    const { services } = ctx;
    const token = ctx.flowToken;
    if (token === undefined) return 'continue';
    const hop = tokenHop({
      token, fromPeer: services.settings.peerHosts.has(ctx.source.address),
      read: (t) => services.flows.read(t), alive: (key) => services.flows.alive(key),
    });
    if (hop.kind === 'refuse') {
      if (hop.forged) services.guard.failed(ctx.source, `flow token refused (${hop.reason})`);
      if (ctx.req.method !== 'ACK') services.reply(ctx, hop.status, hop.reason);
      return 'handled';
    }
    const target = { uri: ctx.req.uri, dest: hop.dest };
    if (ctx.req.method === 'ACK') services.relayStateless(ctx, target);
    else services.relay(ctx, [target]);
    return 'handled';
  },
};
