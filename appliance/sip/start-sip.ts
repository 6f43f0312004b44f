import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from '../../system/log/logger.ts';
import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import { Authenticator } from './auth/authenticator.ts';
import { NonceIssuer } from './auth/digest.ts';
import type { SipSettings } from './pipeline/context.ts';
import type { RouteDecision } from './proxy/targets.ts';
import type { FlowMembers } from './proxy/flow-routes.ts';
import type { LocationView } from './registrar/location-view.ts';
import { SipService } from './sip-service.ts';
import { SipTransports } from './transport/sip-transport.ts';
import { inCidrList, peerSipAddress } from '../../system/config/index.ts';
import { socketHost } from './message/uri.ts';
import { DialogTokens } from './security/dialog-token.ts';
import { FlowTokens } from './security/flow-token.ts';
import { SourceGuard, type Ban } from './security/source-guard.ts';
import { SiblingLink } from './transport/sibling-link.ts';
import { FlowSpreader } from './pipeline/flow-spreader.ts';
import { LoadMonitor } from './pipeline/load-monitor.ts';
import { ReceiveQueue } from './transport/receive-queue.ts';
import { NatPinger } from './nat/nat-pinger.ts';
import { streamTlsFor } from './transport/tls-certificate.ts';
import { advertiseFor } from './transport/advertise-for.ts';
import type { DnsAnswer } from '../dns/handler.ts';
import { UriResolver } from './proxy/uri-resolver.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** A running SIP service with its transports. */
export interface RunningSip {
  readonly service: SipService;
  readonly location: LocationView;
  readonly transports: SipTransports;
  /** The shared SIP port actually bound (useful when the config said 0). */
  readonly port: number;
  /** OPTIONS keep-alives to this worker's UDP bindings behind NAT; undefined when `nat_ping_interval` is 0. */
  readonly natPinger?: NatPinger;
  /** The link to the sibling workers (hot-flow spreading); undefined in one process or with `[overload] spread = false`. */
  readonly siblings?: SiblingLink;
  stop(): Promise<void>;
}

/** Options for one connection control section's SIP side. */
export interface StartSipOptions {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  /** Log lines that are not events (SIP debug lines). */
  readonly logger?: Logger;
  /** This worker's own Via port (multi-worker); undefined: the shared port. */
  readonly ownPort?: number;
  /** This worker's id, when it runs beside siblings: opens the sibling link for hot-flow spreading. */
  readonly workerId?: number;
  /** Routing of callees of our domain (the locator over the DNS function). */
  readonly locate: (user: string, method?: string) => RouteDecision | Promise<RouteDecision>;
  /** The location view (shared with the DNS function), already loaded from the store. */
  readonly location: LocationView;
  /** Told of each ban this worker decides (after it is stored), to spread it to the others. */
  readonly onBan?: (ban: Ban) => void;
  /** In-process question to the DNS function, for RFC 3263 lookups of other domains; absent: A/AAAA from the OS. */
  readonly dnsQuery?: (name: string, type: string) => Promise<DnsAnswer>;
}

/** Precomputes the settings the pipeline reads from the config (STYLE.md §9). */
export function sipSettings(config: ApplianceConfig, port: number, viaPort: number): SipSettings {
  const s = config.sip;
  // Every family's addresses (dual stack), so loose routing pops our Route entries of either
  // family (RFC 3261 §16.4); IPv6 both bare and bracketed, as URIs and Vias write it (RFC 5118).
  const specific = s.listenAddresses.map((l) => l.address).filter((a) => a !== '0.0.0.0' && a !== '::');
  const hosts = new Set([s.domain, 'localhost', ...s.listenAddresses.map((l) => l.advertise), ...specific].map((h) => h.toLowerCase()));
  for (const h of [...hosts]) if (isIP(h) === 6) hosts.add(`[${h}]`);
  return {
    domain: s.domain, localHosts: hosts, advertise: s.advertise, port, viaPort, trusted: s.trusted, mode: s.mode,
    advertiseByFamily: s.listenAddresses.map((l) => ({ family: l.family, advertise: l.advertise })),
    registrar: { minExpires: s.minExpires, maxExpires: s.maxExpires, defaultExpires: s.defaultExpires, maxContacts: 10 },
    tcp: s.transports.includes('tcp'),
    anonymousInbound: config.security.anonymousInbound, maxTransactions: config.security.maxTransactions,
    emergencyNumbers: new Set(config.emergency.numbers),
    peerHosts: new Set(peerHostsOf(config)),
    flowMembers: flowMembersOf(config),
    // Twice max_workers slots: a reload's or an upgrade's new generation runs beside the old one
    // (control/worker-generations.ts, succession.ts), and a response for either may reach the other.
    workerViaPorts: { base: s.workerPortBase > 0 ? s.workerPortBase : 0, count: s.workerPortBase > 0 ? 2 * config.control.maxWorkers : 0 },
  };
}

/** The hosts of every peer's SIP addresses (`[[peers]] sip`, `sip_tls`): where a peer's requests come from. */
function peerHostsOf(config: ApplianceConfig): string[] {
  return config.peers.flatMap((p) => [p.sip, ...(p.sipTls ? [p.sipTls] : [])].map((a) => peerSipAddress(a).address));
}

/** Our name and each peer's SIP addresses (`[[peers]] sip`, `sip_tls`), for the hop to a flow a peer holds (proxy/flow-routes.ts). */
export function flowMembersOf(config: ApplianceConfig): FlowMembers {
  const peers = new Map(config.peers.map((p) => [p.name, { ...peerSipAddress(p.sip), ...(p.sipTls ? { tls: peerSipAddress(p.sipTls) } : {}) }] as const));
  return { self: config.name, peers };
}

/**
 * The per-source guard (pike + fail2ban) from `[security]`, with the bans in the store applied.
 * Trusted sources, peers and our own addresses are never counted nor banned.
 */
export function sourceGuardFor(config: ApplianceConfig, store: Store, log: StartSipOptions['log'], onBan?: (ban: Ban) => void): SourceGuard {
  const sec = config.security;
  const ours = new Set([...config.sip.listenAddresses.flatMap((l) => [l.advertise, l.address]), ...peerHostsOf(config)]);
  const guard = new SourceGuard(
    { banAfterFailures: sec.banAfterFailures, failureWindowMs: sec.failureWindow * 1000, rateLimit: sec.rateLimit, rateWindowMs: sec.rateWindow * 1000, banMs: sec.banSeconds * 1000 },
    (address) => ours.has(address) || inCidrList(address, config.sip.trusted),
    (ban) => {
      store.bans.put(ban);
      log('sip.ban', `banned ${ban.address} for ${Math.round((ban.until - ban.since) / 1000)} s: ${ban.reason}`, { address: ban.address, until: ban.until });
      onBan?.(ban);
    },
  );
  for (const ban of store.bans.active()) guard.apply(ban);
  return guard;
}

/** Opens the SIP transports and wires the service (registrar + stateful proxy). */
export async function startSip(opts: StartSipOptions): Promise<RunningSip> {
  const { config, store } = opts;
  const location = opts.location;
  // The nonce secret lives in the store so every worker (and a restart) verifies the same nonces.
  const secret = store.settings.getOrCreate('sip.nonce_secret', () => randomBytes(32).toString('hex'));
  const realm = config.sip.domain;
  const settings = sipSettings(config, config.sip.port, config.sip.port);
  const auth = new Authenticator(new NonceIssuer(secret, realm, config.sip.nonceLifetime), realm, (u) => store.extensions.get(u), config.sip.authAlgorithms,
    (host) => settings.localHosts.has(socketHost(host).toLowerCase()), {
      learnt: (n) => store.extensions.learntSha256(n),
      withLearnt: (u) => store.extensions.withLearnt(u),
      learn: (n, agent) => {
        if (store.extensions.learnSha256(n, agent)) opts.log('sip.digest.learnt', `extension ${n}: ${agent || 'a phone without User-Agent'} answered SHA-256; it gets SHA-256 only from now on`, { number: n, agent });
      },
    });
  // Dialog tokens in our Record-Route: one secret for every worker and across restarts.
  const dialogSecret = store.settings.getOrCreate('sip.dialog_secret', () => randomBytes(32).toString('hex'));
  const dialogTokens = new DialogTokens(dialogSecret);
  // Flow tokens for the TCP/TLS phones we hold (issue 19): a key of their own, derived from the same secret.
  const flowTokens = new FlowTokens(dialogSecret);
  const guard = sourceGuardFor(config, store, opts.log, opts.onBan);
  const dnsQuery = opts.dnsQuery;
  const resolver = dnsQuery && new UriResolver({ query: (n, t) => dnsQuery(n, t), transports: config.sip.transports });
  const service = new SipService({
    settings, location, auth, extension: (n) => store.extensions.get(n), log: opts.log, logger: opts.logger, locate: opts.locate, dialogTokens, flowTokens, guard,
    ...(resolver ? { resolveDomain: (uri) => resolver.resolve({ sips: uri.schema === 'sips', host: uri.host, port: uri.port, transport: uri.params.transport ?? undefined }) } : {}),
  });
  const transports = new SipTransports(
    { addresses: config.sip.listenAddresses.map((l) => l.address), port: config.sip.port, ownPort: opts.ownPort, transports: config.sip.transports, tcp: config.sip.tcp,
      tls: await streamTlsFor(config) },
    (data, source) => service.receive(data, source),
    (e) => opts.log('sip.transport', e),
  );
  await transports.open();
  (settings as { port: number }).port = transports.port;
  settings.viaPort = transports.viaPort;
  settings.tlsPort = transports.tlsPort;
  service.attach(transports);
  // The worker judges its own load (worker-load.ts) and sheds at once when saturated.
  service.admission.localRetryAfter = config.overload.retryAfter;
  // Beside siblings, a saturated worker hands the new work it would refuse to a calm one.
  let siblings: SiblingLink | undefined;
  // Its backlog: what waits in the kernel for its shared port, its Via port and its inbox.
  const queue = new ReceiveQueue(() => [transports.port, settings.viaPort, siblings?.port ?? 0]);
  const monitor = new LoadMonitor(service, config.overload, config.security.maxTransactions, queue);
  if (opts.workerId !== undefined && config.overload.spread) {
    siblings = new SiblingLink(opts.workerId, (data, source) => service.receive(data, source), () => transports.port);
    await siblings.open();
    service.spreader = new FlowSpreader(siblings, service.admission, { busyLagMs: config.overload.calmLagMs, maxLagMs: config.overload.shedLagMs / 2, maxAgeMs: 300 });
    const link = siblings;
    // A draining worker takes nothing new: it says so with a share of 0.
    const spreader = service.spreader;
    monitor.onTick = (share, lagMs) => {
      link.beacon(service.admission.draining ? 0 : share, lagMs);
      spreader.tick();
    };
  }
  monitor.start();
  const natPinger = config.sip.natPingInterval > 0 ? new NatPinger({
    location, request: (req, dest, user) => service.request(req, dest, user),
    identity: (address) => ({ advertise: advertiseFor(settings.advertiseByFamily, address), viaPort: settings.viaPort, domain: settings.domain }),
    intervalS: config.sip.natPingInterval, maxFailures: config.sip.natPingFailures, log: opts.log,
  }) : undefined;
  natPinger?.start();
  return {
    service, location, transports, port: transports.port, natPinger, siblings,
    async stop() {
      monitor.stop();
      await siblings?.close();
      natPinger?.stop();
      service.close();
      location.close();
      await transports.close();
    },
  };
}
