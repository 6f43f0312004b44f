import type { ApplianceConfig } from '../../system/config/index.ts';
import type { DnsAnswer } from './handler.ts';
import type { RegisteredContacts } from './registered-contacts.ts';
import { inZone, RCODE } from './records.ts';
import { enumName } from './resolvers/enum.ts';
import { parseSipUri, uriScheme, uriTransport } from '../sip/message/uri.ts';

/** Where the stateful proxy can send a request for an identification. */
export interface IdentificationTarget {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
}

/** What the lookup needs: the chain (in process) and the live location view. */
export interface IdentificationDeps {
  readonly config: ApplianceConfig;
  readonly contacts: RegisteredContacts;
  readonly resolve: (name: string, type: string) => Promise<DnsAnswer>;
}

const MAX_REWRITES = 2;

/**
 * Maps an identification to addresses (DESIGN.md call flow step 3-4): an extension number
 * ("201"), an AOR ("sip:201@office.lan"), a dialled E.164 number ("+15551234567", "tel:+1...",
 * "sip:+1...@office.lan") through ENUM NAPTR → SIP URI → extension, or a host name in our zone.
 * Empty when nothing is known, or when the domain is not ours (no open relay).
 */
export async function lookupIdentification(ident: string, deps: IdentificationDeps, depth = 0): Promise<IdentificationTarget[]> {
  const text = ident.trim();
  const { config } = deps;
  if (/^\+[0-9]{1,15}$/.test(text)) return viaEnum(text, deps, depth);
  const tel = /^tel:(\+[0-9]{1,15})(;.*)?$/i.exec(text);
  if (tel) return viaEnum(tel[1], deps, depth);
  const scheme = uriScheme(text);
  if (scheme === 'sip' || scheme === 'sips') {
    // The SIP grammar's one parser (message/uri.ts; the scheme in any case, RFC 3261 §19.1.4).
    const uri = parseSipUri(text);
    if (!uri) return [];
    const host = uri.host.toLowerCase().replace(/\.$/, '');
    const ours = host === config.sip.domain || inZone(host, config.dns.zone);
    if (!ours) return [];
    if (uri.user !== undefined) {
      const u = decodeURIComponent(uri.user);
      if (/^\+[0-9]{1,15}$/.test(u)) return viaEnum(u, deps, depth);
      return extensionTargets(u, deps);
    }
    // RFC 3261 §19.1.2 / RFC 5630: a sips: URI is reached over TLS only.
    return hostTargets(host, uri.port ?? config.sip.port, uriTransport(uri), deps);
  }
  if (/^[0-9A-Za-z*#_-]{1,32}$/.test(text)) return extensionTargets(text, deps);
  if (inZone(text.toLowerCase(), config.dns.zone)) return hostTargets(text.toLowerCase(), 5060, 'udp', deps);
  return [];
}

async function extensionTargets(ext: string, deps: IdentificationDeps): Promise<IdentificationTarget[]> {
  const live = deps.contacts.contactsOf(ext);
  if (live.length > 0) return live.map((c) => ({ address: c.address, port: c.port, transport: c.transport }));
  // No registration: an admin record <extension>.<zone> (e.g. a fixed-address device) still counts.
  return hostTargets(`${ext.toLowerCase()}.${deps.config.dns.zone}`, 5060, 'udp', deps);
}

async function hostTargets(host: string, port: number, transport: 'udp' | 'tcp' | 'tls', deps: IdentificationDeps): Promise<IdentificationTarget[]> {
  const out: IdentificationTarget[] = [];
  for (const type of ['A', 'AAAA']) {
    const ans = await deps.resolve(host, type);
    for (const rr of ans.answers) {
      if ((rr.type === 'A' || rr.type === 'AAAA') && !out.some((t) => t.address === rr.address)) out.push({ address: rr.address, port, transport });
    }
  }
  return out;
}

/** RFC 6116 §3.2.1 / RFC 3402 §4: first E2U+sip terminal NAPTR by order/preference, regexp applied to the AUS. */
async function viaEnum(e164: string, deps: IdentificationDeps, depth: number): Promise<IdentificationTarget[]> {
  if (depth >= MAX_REWRITES) return [];
  const ans = await deps.resolve(enumName(e164, deps.config.dns.enumSuffix), 'NAPTR');
  if (ans.rcode !== RCODE.NOERROR) return [];
  const naptrs = ans.answers
    .filter((r) => r.type === 'NAPTR' && r.flags.toLowerCase() === 'u' && r.services.toLowerCase().split(':').includes('e2u+sip'))
    .sort((a, b) => (a.type === 'NAPTR' && b.type === 'NAPTR' ? a.order - b.order || a.preference - b.preference : 0));
  for (const rr of naptrs) {
    if (rr.type !== 'NAPTR') continue;
    const target = applyRegexp(rr.regexp, e164);
    if (target) {
      const found = await lookupIdentification(target, deps, depth + 1);
      if (found.length > 0) return found;
    }
  }
  return [];
}

/** Applies a NAPTR substitution expression `<d>ERE<d>repl<d>flags` (RFC 3402 §3.2). */
export function applyRegexp(expr: string, aus: string): string | undefined {
  if (expr.length < 3) return undefined;
  const delim = expr[0];
  const parts = expr.slice(1).split(delim);
  if (parts.length !== 3) return undefined;
  const [ere, repl, flags] = parts;
  try {
    const re = new RegExp(ere, flags.includes('i') ? 'i' : '');
    if (!re.test(aus)) return undefined;
    return aus.replace(re, repl.replace(/\\(\d)/g, '$$$1'));
  } catch {
    return undefined;
  }
}
