import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { EmergencyConfig } from '../../system/config/index.ts';
import type { InboundConfig, RouteConfig, TrunkConfig } from '../../system/config/trunk-config.ts';
import type { ExtensionRecord } from '../../system/store/index.ts';
import type { SipRequest, SipResponse } from '../sip/message/types.ts';
import { parseSipUri, type SipUri } from '../sip/message/uri.ts';
import type { OutsideCallRoute, OutsideCaller, TrunkHop, TrunkRouting } from '../sip/pipeline/context.ts';
import type { Target, UpstreamAuthorizer } from '../sip/proxy/targets.ts';
import { classPermits, inboundTarget, routeDialled } from './dial-plan.ts';
import { digestAnswer } from './digest-answer.ts';
import { parseChallenges } from './register-response.ts';
import type { TrunkStatus } from './trunk-status.ts';
import { trunkTrust, withTrunkTrust } from './trunk-trust.ts';

/** What the directory reads besides the config. */
export interface TrunkDirectoryDeps {
  /** RFC 3263 resolution of a SIP URI (the SIP service's resolver). */
  readonly resolve: (uri: SipUri) => Target | undefined | Promise<Target | undefined>;
  /** Outside calls of an extension: established now, and started since `since` (call records). */
  readonly outsideCalls: (extension: string, since: number) => { readonly open: number; readonly started: number };
  /** A trunk's provider left a call unanswered (logged by the caller). */
  readonly onUnreachable?: (trunk: string) => void;
}

/** How long a registrar's resolved addresses are trusted as the provider's (inbound). */
const ADDRESS_TTL_MS = 300_000;
/** An outside call placed here counts as in progress until its record exists, at most this long (ringing). */
const RINGING_MS = 60_000;
/** A trunk whose provider left a call unanswered is down here for this long (its calls get 503 at once). */
const UNREACHABLE_MS = 30_000;

/**
 * The outside line in one connection control section (issue 14): the trunks, routes and
 * inbound numbers of the config, each trunk's registration state as the registering worker
 * reports it, the addresses its provider sends from, and the extensions' limits. Implements
 * what the pipeline's trunk stages ask (sip/pipeline/context.ts `TrunkRouting`).
 */
export class TrunkDirectory implements TrunkRouting {
  private byName: Map<string, TrunkConfig>;
  private readonly states = new Map<string, TrunkStatus['state']>();
  private readonly addresses = new Map<string, { readonly trunk: string; readonly until: number }>();
  /** Outside calls this worker placed that have no call record yet: Call-ID → extension, time. */
  private readonly ringing = new Map<string, { readonly extension: string; readonly at: number }>();
  /** Trunks whose provider sent nothing to a call of ours: until when they count as down here. */
  private readonly unreachable = new Map<string, number>();

  constructor(
    private trunks: readonly TrunkConfig[],
    private routes: readonly RouteConfig[],
    private inboundNumbers: readonly InboundConfig[],
    private emergency: EmergencyConfig,
    private readonly deps: TrunkDirectoryDeps,
  ) {
    this.byName = new Map();
    this.update({ trunks, routes, inbound: inboundNumbers, emergency });
  }

  /**
   * The outside line changed (the admin edited it: outside-line.ts): new trunks, routes and
   * numbers from now on; what is known of trunks that stay (states, addresses) is kept.
   */
  update(line: { readonly trunks: readonly TrunkConfig[]; readonly routes: readonly RouteConfig[]; readonly inbound: readonly InboundConfig[]; readonly emergency: EmergencyConfig }): void {
    const before = this.byName;
    this.trunks = line.trunks;
    this.routes = line.routes;
    this.inboundNumbers = line.inbound;
    this.emergency = line.emergency;
    this.byName = new Map(line.trunks.map((t) => [t.name, t]));
    for (const [name, old] of before) {
      const now = this.byName.get(name);
      if (now && now.registrarHost === old.registrarHost && now.registrarPort === old.registrarPort && now.transport === old.transport) continue;
      this.states.delete(name);
      this.unreachable.delete(name);
      for (const [a, v] of this.addresses) if (v.trunk === name) this.addresses.delete(a);
    }
    for (const t of line.trunks) if (isIP(t.registrarHost)) this.addresses.set(t.registrarHost, { trunk: t.name, until: Infinity });
  }

  /** A trunk's registration state (from the worker that registers, through the control section). */
  setStatus(status: TrunkStatus): void {
    if (!this.byName.has(status.name)) return;
    this.states.set(status.name, status.state);
    if (status.state === 'up') this.unreachable.delete(status.name);
  }

  /** Resolves every trunk's registrar now, so the provider's addresses are known before its first call. */
  async learnAddresses(): Promise<void> {
    await Promise.all(this.trunks.map((t) => this.resolveRegistrar(t).catch(() => undefined)));
  }

  trunkAt(address: string): string | undefined {
    const a = this.addresses.get(address);
    return a && a.until > Date.now() ? a.trunk : undefined;
  }

  inbound(trunk: string, numbers: readonly (string | undefined)[]): string | undefined {
    return inboundTarget(trunk, numbers, this.inboundNumbers);
  }

  route(dialled: string): OutsideCallRoute | undefined {
    return routeDialled(dialled, this.routes, this.emergency);
  }

  refusal(ext: OutsideCaller, route: OutsideCallRoute): string | undefined {
    if (route.class === 'emergency') return undefined;
    if (!classPermits(ext.callClass, route.class as ExtensionRecord['callClass'])) return `Call class ${route.class} not permitted`;
    const now = Date.now();
    for (const [id, r] of this.ringing) if (now - r.at > RINGING_MS) this.ringing.delete(id);
    const ringing = [...this.ringing.values()].filter((r) => r.extension === ext.number).length;
    const { open, started } = this.deps.outsideCalls(ext.number, now - 3600_000);
    if (open + ringing >= ext.maxOutsideCalls) return 'Too many outside calls';
    if (started + ringing >= ext.outsideCallsPerHour) return 'Outside call limit per hour reached';
    return undefined;
  }

  placed(callId: string, extension: string): void {
    this.ringing.set(callId, { extension, at: Date.now() });
  }

  nextHopAt(address: string): TrunkHop | undefined {
    const name = this.trunkAt(address);
    const t = name === undefined ? undefined : this.byName.get(name);
    if (!t) return undefined;
    return { ...(t.password !== '' ? { authorize: trunkAuthorizer(t) } : {}), trust: trunkTrust(t) };
  }

  /** A call placed here now has a record (answered or failed): it counts from the records. */
  recorded(callId: string): void {
    this.ringing.delete(callId);
  }

  /** The provider of `trunk` left a call unanswered (here or on a sibling worker): down for 30 s. */
  markUnreachable(trunk: string): void {
    if (this.byName.has(trunk)) this.unreachable.set(trunk, Date.now() + UNREACHABLE_MS);
  }

  /**
   * Down: its registration failed (as reported), or its provider left a call of ours without
   * any answer in the last 30 s (seen before the next registration refresh can tell).
   */
  isDown(trunk: string): boolean {
    return this.states.get(trunk) === 'failed' || (this.unreachable.get(trunk) ?? 0) > Date.now();
  }

  /** Our identity towards the provider of `trunk` for this extension's call (P-Asserted-Identity, RFC 3325). */
  assertedIdentity(trunk: string, ext: OutsideCaller): string {
    const t = this.byName.get(trunk)!;
    const id = ext.outboundCallerId ?? t.callerId ?? t.username;
    return `<sip:${id}@${t.domain}>`;
  }

  /**
   * The route's trunk, then its fail-over trunks in order (RFC 3263 §4.3 fail-over along one
   * list of destinations, proxy/failover.ts): a trunk down is skipped, except for an emergency
   * call (any way out is tried); a registrar that does not resolve is skipped.
   */
  async target(route: OutsideCallRoute, caller: OutsideCaller, onTrunk?: (trunk: string) => void): Promise<Target | undefined> {
    const chain = [route.trunk, ...route.failover].filter((n, i, all) => all.indexOf(n) === i);
    const usable = route.class === 'emergency' ? chain : chain.filter((n) => !this.isDown(n));
    const perTrunk = await Promise.all(usable.map((n) => this.trunkTarget(n, route.number, caller)));
    const dests: Target[] = [];
    perTrunk.forEach((list, i) => {
      if (!list) return;
      const name = usable[i];
      if (name === route.trunk || !onTrunk) return dests.push(...list);
      // The first destination of a fail-over trunk: the call uses that trunk from then on.
      if (dests.length === 0) onTrunk(name);
      else list[0] = { ...list[0], onStart: () => onTrunk(name) };
      dests.push(...list);
    });
    if (dests.length === 0) return undefined;
    const [first, ...rest] = dests;
    return rest.length > 0 ? { ...first, fallbacks: rest } : first;
  }

  /**
   * The trunk's registrar as the next hop for `number` (RFC 3263): its destinations in order,
   * each with the account, our identity towards that provider, and one `onUnanswered` for
   * them all (every destination silent: the trunk is unreachable).
   */
  private async trunkTarget(name: string, number: string, caller: OutsideCaller): Promise<Target[] | undefined> {
    const t = this.byName.get(name);
    if (!t) return undefined;
    const next = await this.resolveRegistrar(t).catch(() => undefined);
    if (!next) return undefined;
    const uri = `sip:${number}@${t.domain}`;
    const authorize = trunkAuthorizer(t);
    const headers = { 'p-asserted-identity': this.assertedIdentity(name, caller) };
    const onUnanswered = () => {
      this.markUnreachable(name);
      this.deps.onUnreachable?.(name);
    };
    return [next, ...(next.fallbacks ?? [])].map((d) => ({ uri, dest: withTrunkTrust(d.dest, t), authorize, headers, onUnanswered }));
  }

  private async resolveRegistrar(t: TrunkConfig): Promise<Target | undefined> {
    const host = isIP(t.registrarHost) === 6 ? `[${t.registrarHost}]` : t.registrarHost;
    const uri = parseSipUri(`sip:${host}${t.registrarPort !== undefined ? `:${t.registrarPort}` : ''};transport=${t.transport}`);
    if (!uri) return undefined;
    const target = await this.deps.resolve(uri);
    if (target) {
      const until = Date.now() + ADDRESS_TTL_MS;
      for (const d of [target, ...(target.fallbacks ?? [])]) this.addresses.set(d.dest.address, { trunk: t.name, until: isIP(t.registrarHost) ? Infinity : until });
    }
    return target;
  }
}

/** Answers the provider's challenge to a call we forward, with the trunk account (RFC 3261 §22.3). */
function trunkAuthorizer(t: TrunkConfig): UpstreamAuthorizer {
  return {
    answer(res: SipResponse, forwarded: SipRequest) {
      const [challenge] = parseChallenges(res.wire ?? '', res.status);
      if (!challenge) return undefined;
      const value = digestAnswer(challenge, { authUsername: t.authUsername, password: t.password }, forwarded.method, forwarded.uri, randomBytes(8).toString('hex'));
      return { [res.status === 407 ? 'proxy-authorization' : 'authorization']: value };
    },
  };
}
