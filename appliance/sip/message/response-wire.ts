import sip from 'sip';
import type { Via } from 'sip';
import type { SipResponse } from './types.ts';

/**
 * Forwarding responses without re-encoding them (RFC 3261 §16.7 step 9 only removes the top
 * Via): the received bytes minus the first Via value, like Kamailio's in-place edits. A proxy
 * forwards about as many responses as requests, and parsing plus serialising each one again
 * was a large part of a call's CPU (bench/sip-call-cpu.ts).
 */

/**
 * The received bytes with the first Via value removed; undefined when it cannot be done safely.
 * A response that came over UDP may lack Content-Length (RFC 3261 §18.3, §20.14: optional on
 * datagrams); one is added (the body's length), since the upstream hop may be a stream, where it
 * is mandatory: without it a TCP/TLS phone cannot frame the response (linphonec over UDP sends
 * 180 Ringing without one; baresip over TLS then never saw the call answered).
 */
export function removeTopVia(wire: Buffer): Buffer | undefined {
  const s = wire.toString('latin1');
  const headEnd = s.indexOf('\r\n\r\n');
  const m = /\r\n(?:via|v)[ \t]*:[ \t]*/i.exec(s);
  if (!m || headEnd < 0 || m.index >= headEnd) return undefined;
  const valueStart = m.index + m[0].length;
  const rest = withContentLength(s, headEnd);
  let quoted = false;
  for (let i = valueStart; i < headEnd + 2; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) quoted = !quoted; // "
    else if (c === 13) {
      // A folded Via line: rare; let the caller re-encode instead.
      if (s.charCodeAt(i + 2) === 32 || s.charCodeAt(i + 2) === 9) return undefined;
      return Buffer.from(s.slice(0, m.index) + s.slice(i, headEnd) + rest, 'latin1');
    } else if (c === 44 && !quoted) {
      let next = i + 1;
      while (s.charCodeAt(next) === 32 || s.charCodeAt(next) === 9) next++;
      return Buffer.from(s.slice(0, valueStart) + s.slice(next, headEnd) + rest, 'latin1');
    }
  }
  return undefined;
}

/** The text from the end of the last header on: a Content-Length line first when there is none. */
function withContentLength(s: string, headEnd: number): string {
  const tail = s.slice(headEnd);
  if (/\r\n(?:content-length|l)[ \t]*:/i.test(s.slice(0, headEnd + 2))) return tail;
  return `\r\nContent-Length: ${s.length - headEnd - 4}${tail}`;
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
