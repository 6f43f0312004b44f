import { VOICEMAIL_URI_PATTERN, type ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import { defaultPort, parseSipUri } from '../sip/message/uri.ts';
import { loadOutsideLine } from '../trunks/outside-line.ts';

/** What an extension's own voicemail URI is checked against (issue 15). */
export interface VoicemailUriContext {
  /** Our SIP domain: a URI there is routed back to us (a loop, or one of our numbers). */
  readonly domain: string;
  /** Our SIP addresses (listen and advertised) and ports: the same loop by address. */
  readonly ownAddresses: readonly string[];
  readonly ownPorts: readonly number[];
  /** The trunks' registrars and domains: a server there would be an outside call past the dial plan. */
  readonly providerHosts: readonly string[];
}

/** The longest voicemail URI we keep. */
const MAX_URI = 200;

const bare = (h: string) => (h.startsWith('[') ? h.slice(1, -1) : h).toLowerCase();
const wildcard = (a: string) => a === '0.0.0.0' || a === '::';

/**
 * Why `uri` cannot be an extension's own voicemail server, or undefined when it can. The
 * unanswered calls of that extension are sent there by the proxy, past the dial plan, so it
 * must be a SIP server elsewhere: not a `tel:` or other scheme, not our own domain or SIP
 * address (the call would come back to us: a loop, or a way to make any of our numbers the
 * "voicemail"), not a trunk's provider (a `sip:+1900...@provider` there would be a premium call
 * that no call class, limit or record covers).
 */
export function voicemailUriRefusal(uri: string, c: VoicemailUriContext): string | undefined {
  if (typeof uri !== 'string' || uri.length > MAX_URI || !VOICEMAIL_URI_PATTERN.test(uri)) return `voicemail URI must be a SIP URI such as "sip:vm@192.0.2.5:5070" (at most ${MAX_URI} characters)`;
  const u = parseSipUri(uri);
  if (!u) return 'voicemail URI must be a SIP URI such as "sip:vm@192.0.2.5:5070"';
  const host = bare(u.host);
  if (host === c.domain.toLowerCase()) return `voicemail URI names our own domain ${c.domain}: the call would come back here`;
  const ownAddress = c.ownAddresses.some((a) => bare(a) === host || (wildcard(a) && (host.startsWith('127.') || host === '::1')));
  if ((ownAddress || host === 'localhost') && c.ownPorts.includes(defaultPort(u))) return 'voicemail URI names this appliance\'s own SIP address: the call would come back here';
  if (c.providerHosts.some((p) => bare(p) === host)) return 'voicemail URI names a trunk\'s provider: voicemail calls there would be outside calls past the dial plan';
  return undefined;
}

/** Checks a voicemail URI against this appliance's config and the trunks in the store now. */
export type VoicemailUriCheck = (uri: string) => string | undefined;

export function voicemailUriCheck(config: Pick<ApplianceConfig, 'sip'> & Parameters<typeof loadOutsideLine>[0], store: Store): VoicemailUriCheck {
  return (uri) => {
    const { sip } = config;
    const trunks = loadOutsideLine(config, store).trunks;
    return voicemailUriRefusal(uri, {
      domain: sip.domain,
      ownAddresses: [sip.listen, sip.advertise, ...sip.listenAddresses.flatMap((a) => [a.address, a.advertise])],
      ownPorts: [sip.port, sip.tls.port],
      providerHosts: trunks.flatMap((t) => [t.registrarHost, t.domain]),
    });
  };
}
