import type { ApplianceConfig } from '../../system/config/index.ts';
import type { DnsAnswer } from '../dns/handler.ts';
import { UriResolver } from '../sip/proxy/uri-resolver.ts';
import type { RunningSip } from '../sip/start-sip.ts';
import { advertiseFor } from '../sip/transport/advertise-for.ts';
import type { TrunkConfig } from '../../system/config/trunk-config.ts';
import { TrunkService } from './trunk-service.ts';
import { withTrunkTrust } from './trunk-trust.ts';
import type { TrunkStatus } from './trunk-status.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

export interface StartTrunksOptions {
  readonly config: ApplianceConfig;
  /** The trunks to register (the merged outside line: outside-line.ts). */
  readonly trunks: readonly TrunkConfig[];
  readonly sip: RunningSip;
  /** In-process question to the DNS function (RFC 3263 lookups of the registrar). */
  readonly dnsQuery: (name: string, type: string) => Promise<DnsAnswer>;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  readonly onStatus?: (status: TrunkStatus) => void;
}

/**
 * Starts the trunks' registrations on a running SIP service: REGISTERs leave through its
 * client transactions with this worker's Via port, the Contact names our advertised address
 * and the shared SIP port; the registrar is found by RFC 3263 (§4: NAPTR/SRV/A for a name
 * without a port, A/AAAA with one, as is for an address) over the trunk's transport only.
 */
export function startTrunks(opts: StartTrunksOptions): TrunkService {
  const { config, sip } = opts;
  const resolvers = new Map(config.sip.transports.map((t) => [t, new UriResolver({ query: (n, q) => opts.dnsQuery(n, q), transports: [t] })]));
  const settings = sip.service.settings;
  const service = new TrunkService(opts.trunks, {
    request: (req, dest, user) => sip.service.request(req, dest, user),
    identity: (address) => ({ advertise: advertiseFor(settings.advertiseByFamily, address), viaPort: settings.viaPort, sipPort: sip.port, tlsPort: sip.transports.tlsPort }),
    resolve: async (t) => {
      const resolver = resolvers.get(t.transport);
      if (!resolver) throw new Error(`transport ${t.transport} is not in [sip] transports`);
      const found = await resolver.resolve({ sips: false, host: t.registrarHost, ...(t.registrarPort !== undefined ? { port: t.registrarPort } : {}), transport: t.transport });
      // Over TLS the provider's certificate is always verified, against the trunk's CAs when it names them.
      return found.map((d) => withTrunkTrust(d, t));
    },
    log: opts.log,
    onStatus: opts.onStatus,
  });
  service.start();
  return service;
}
