import type { ApplianceConfig } from '../../system/config/index.ts';
import { ConfigError } from '../../system/errors/index.ts';
import type { Store } from '../../system/store/index.ts';
import { featureCodeControl } from '../admin/feature-code-control.ts';
import { outsideForwardCheck } from '../admin/outside-forward-check.ts';
import { parseSipUri } from '../sip/message/uri.ts';
import { nextAfter, planCall, type CallPlanView } from '../sip/proxy/call-plan.ts';
import { withCallPlan } from '../sip/proxy/planned-locator.ts';
import type { RouteDecision, Target } from '../sip/proxy/targets.ts';
import type { OutsideCaller } from '../sip/pipeline/context.ts';
import type { LocationView } from '../sip/registrar/location-view.ts';
import type { SipService } from '../sip/sip-service.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/**
 * The permissions an outside call placed for `by` is checked with: the extension's, or a ring
 * group's own (its class and limits; no caller ID of its own, so the trunk's).
 */
function outsideCaller(store: Store, by: string): OutsideCaller | undefined {
  const ext = store.extensions.get(by);
  if (ext) return ext;
  const g = store.ringGroups.get(by);
  return g && { number: g.number, callClass: g.callClass, maxOutsideCalls: g.maxOutsideCalls, outsideCallsPerHour: g.outsideCallsPerHour, outboundCallerId: null };
}

/** What the office features need of the connection control section. */
export interface PbxDeps {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly location: LocationView;
  /** The location service over the DNS function (proxy/locator.ts). */
  readonly locateDirect: (user: string) => Promise<RouteDecision>;
  /** The SIP service, once started (the locator is made before it: read at call time). */
  readonly sip: () => SipService;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
}

/**
 * The office features (issue 15) wired over the store, the location view and the SIP service:
 * ring groups, forwarding, DND, voicemail and outside forward targets in front of the location
 * service (call-plan.ts, planned-locator.ts); `attach` gives the SIP service its feature codes
 * and the voicemail server for MWI once it runs.
 */
export function pbxLocate(d: PbxDeps): { locate: (user: string, method?: string) => Promise<RouteDecision>; attach(service: SipService): void } {
  const { config, store, location } = d;
  const planView: CallPlanView = {
    isExtension: (n) => store.extensions.get(n) !== undefined,
    group: (n) => store.ringGroups.get(n),
    features: (n) => store.callFeatures.get(n),
    reachable: (n) => location.bindings(`sip:${n}@${config.sip.domain}`).length > 0,
    // The office's server, or only extensions' own ones (`voicemailUri`) without it.
    voicemail: { ...config.voicemail, ownOnly: !config.voicemail.uri },
    // Forwards to outside numbers the dial plan routes (never an emergency number); permissions when rung.
    outside: (n) => {
      const route = d.sip().parts.trunks?.route(n);
      return !!route && route.class !== 'emergency';
    },
  };
  // An outside forward target rings over the trunk as the forwarding extension (its class and limits, its caller ID);
  // an outside group member as the group (its class and limits, the trunk's caller ID).
  const outsideTarget = async (number: string, by: string): Promise<Target | string | undefined> => {
    const trunks = d.sip().parts.trunks;
    const ext = outsideCaller(store, by);
    const route = trunks?.route(number);
    if (!trunks || !ext || !route || route.class === 'emergency') return undefined;
    const refusal = trunks.refusal(ext, route);
    if (refusal) {
      const what = store.extensions.get(by) ? `extension ${by} forwarding to ${number}` : `ring group ${by} calling its member ${number}`;
      d.log('trunk.refused', `${what}: ${refusal}`, { extension: by, dialled: number, route: route.route });
      return refusal;
    }
    if (trunks.isDown(route.trunk) && !route.failover) return undefined;
    // The leg counts as the forwarding extension's outside call when it leaves (SipService: limits, call record).
    const t = await trunks.target(route, ext);
    return t && { ...t, outsideLeg: { trunk: route.trunk, routedTo: route.number, forwardedBy: by } };
  };
  // The voicemail server is resolved as any URI (RFC 3263), when a call goes there: the
  // mailbox's own (`voicemailUri`, checked when set: voicemail-uri-check.ts), else the office's.
  const vmUri = config.voicemail.uri ? parseSipUri(config.voicemail.uri) : undefined;
  if (config.voicemail.uri && !vmUri) throw new ConfigError('voicemail.uri', `"${config.voicemail.uri}" is not a SIP URI`);
  const serverOf = (mailbox: string) => {
    const own = store.callFeatures.get(mailbox).voicemailUri;
    return own ? parseSipUri(own) : vmUri;
  };
  const voicemail = (mailbox: string) => {
    const uri = serverOf(mailbox);
    return uri ? d.sip().resolveUri(uri) : undefined;
  };
  // MWI (RFC 3842): an extension's SUBSCRIBE goes to its mailbox's server; none: routed as any SUBSCRIBE.
  const mwi = (extension: string) => (serverOf(extension) ? () => voicemail(extension) : undefined);
  const locate = withCallPlan(d.locateDirect, (user) => planCall(user, planView), (then, outcome) => nextAfter(then, outcome, planView), config.sip.domain, voicemail, outsideTarget);
  return {
    locate,
    attach(service) {
      service.parts.featureCodes = featureCodeControl(store, config.featureCodes, outsideForwardCheck(config, store));
      service.parts.voicemail = mwi;
    },
  };
}
