import type { DataContext, DnsContext } from '../context.ts';
import type { Resolver } from '../handler.ts';
import { answerFromSet, RecordSet } from '../record-set.ts';
import type { ResourceRecord } from '../records.ts';

/** The ENUM domain of an E.164 number: digits reversed, dot-separated, under the suffix (RFC 6116 §2.4). */
export function enumName(e164: string, suffix: string): string {
  return `${[...e164.replace(/\D/g, '')].reverse().join('.')}.${suffix}`;
}

/**
 * ENUM (RFC 6116 §3): each extension with an E.164 number gets a terminal NAPTR, service
 * E2U+sip, whose regexp rewrites the whole AUS to the extension's SIP URI.
 */
export function enumRecords(ctx: DataContext): ResourceRecord[] {
  const ttl = ctx.config.dns.ttl;
  return [...ctx.data.e164].map(([e164, ext]) => ({
    name: enumName(e164, ctx.zones.enumSuffix), ttl, type: 'NAPTR', order: 100, preference: 10, flags: 'u',
    services: 'E2U+sip', regexp: `!^.*$!sip:${ext}@${ctx.config.sip.domain}!`, replacement: '',
  }));
}

/** Answers ENUM NAPTR queries (intermediate digit names are empty non-terminals: NODATA). */
export function enumResolver(ctx: DnsContext): Resolver {
  let built: { version: number; set: RecordSet } | undefined;
  const current = (): RecordSet => {
    if (built?.version !== ctx.data.version) built = { version: ctx.data.version, set: new RecordSet(enumRecords(ctx), [ctx.zones.enumSuffix]) };
    return built.set;
  };
  return (next) => (req) => answerFromSet(current(), req, next);
}
