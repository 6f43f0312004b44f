import type { Hop } from './call-plan.ts';

/** RFC 5806 §4 reasons for the RFC 4458 causes the call plan records. */
const REASON: Record<number, string> = { 302: 'unconditional', 486: 'user-busy', 408: 'no-answer', 480: 'unavailable', 503: 'unavailable' };

/**
 * The Diversion header field (RFC 5806, historic but what Asterisk and FreeSWITCH voicemail
 * read to pick the mailbox) for a target reached through `history`: one entry per diverting
 * number, the most recent first, each with its reason and counter.
 */
export function diversion(history: readonly Hop[], domain: string): string {
  const out: string[] = [];
  for (let i = history.length - 1; i >= 1; i--) {
    const from = history[i - 1].number;
    const reason = REASON[history[i].cause ?? 0] ?? 'unknown';
    out.push(`<sip:${from}@${domain}>;reason=${reason};counter=1`);
  }
  return out.join(', ');
}
