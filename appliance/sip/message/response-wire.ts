import sip from 'sip';
import type { Via } from 'sip';
import type { SipResponse } from './types.ts';

/**
 * Forwarding responses without re-encoding them (RFC 3261 §16.7 step 9 only removes the top
 * Via): the received bytes minus the first Via value, like Kamailio's in-place edits. A proxy
 * forwards about as many responses as requests, and parsing plus serialising each one again
 * was a large part of a call's CPU (bench/sip-call-cpu.ts).
 */

/** The received bytes with the first Via value removed; undefined when it cannot be done safely. */
export function removeTopVia(wire: Buffer): Buffer | undefined {
  const s = wire.toString('latin1');
  const headEnd = s.indexOf('\r\n\r\n');
  const m = /\r\n(?:via|v)[ \t]*:[ \t]*/i.exec(s);
  if (!m || headEnd < 0 || m.index >= headEnd) return undefined;
  const valueStart = m.index + m[0].length;
  let quoted = false;
  for (let i = valueStart; i < headEnd + 2; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) quoted = !quoted; // "
    else if (c === 13) {
      // A folded Via line: rare; let the caller re-encode instead.
      if (s.charCodeAt(i + 2) === 32 || s.charCodeAt(i + 2) === 9) return undefined;
      return Buffer.from(s.slice(0, m.index) + s.slice(i), 'latin1');
    } else if (c === 44 && !quoted) {
      let next = i + 1;
      while (s.charCodeAt(next) === 32 || s.charCodeAt(next) === 9) next++;
      return Buffer.from(s.slice(0, valueStart) + s.slice(next), 'latin1');
    }
  }
  return undefined;
}

/** The response to send upstream: our Via gone, as bytes when possible, else re-encoded. */
export function forwardedResponse(res: SipResponse, upstreamVias: Via[]): SipResponse {
  if (res.wire && res.headers.via.length >= 2) {
    const bytes = removeTopVia(res.wire);
    if (bytes) return { ...res, headers: { ...res.headers, via: res.headers.via.slice(1) }, wire: undefined, preEncoded: bytes };
  }
  // The slow path: every header parsed by the `sip` package, the Vias from our transaction.
  const full = (res.wire ? sip.parse(res.wire) : undefined) as SipResponse | undefined;
  const base = full ?? res;
  return { ...base, status: res.status, reason: res.reason, headers: { ...base.headers, via: upstreamVias }, wire: undefined };
}
