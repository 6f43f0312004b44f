/**
 * A SIP message as the ladder shows it: its text with credentials masked. Authorization and
 * Proxy-Authorization (RFC 3261 §20.7, §20.28; digest, RFC 2617 §3.2.2) keep their scheme,
 * username and realm, which an engineer needs to read a failed login; the response, nonce,
 * cnonce and every other parameter are replaced, since a response with its nonce is enough for
 * an offline guess of the password. Folded continuation lines (§7.3.1) are part of the header.
 * Bodies (SDP) are kept: they carry addresses and codecs, not secrets (SDES keys go over TLS
 * only, docs/PHONES.md).
 */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization)[ \t]*:/i;

export const MASKED = '(credentials masked)';

/** Keeps `username` and `realm` of a credentials value, masks the rest. */
function maskCredentials(value: string): string {
  const scheme = /^\s*([A-Za-z][A-Za-z0-9-]*)/.exec(value)?.[1] ?? '';
  const keep = ['username', 'realm'].flatMap((k) => {
    const m = new RegExp(`(?:^|[\\s,])${k}\\s*=\\s*("(?:[^"\\\\]|\\\\.)*"|[^\\s,]+)`, 'i').exec(value.slice(scheme.length));
    return m ? [`${k}=${m[1]!.slice(0, 200)}`] : [];
  });
  return ` ${[scheme, keep.join(', ')].filter(Boolean).join(' ')}${keep.length ? ', ' : ' '}${MASKED}`;
}

/** The message's text (headers and body) with credentials masked. */
export function maskMessage(text: string): string {
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const body = end >= 0 ? text.slice(end) : '';
  const out: string[] = [];
  let inCredentials = false;
  for (const line of head.split('\r\n')) {
    if (inCredentials && /^[ \t]/.test(line)) continue; // folded continuation of the masked header
    const m = CREDENTIAL_HEADER.exec(line);
    inCredentials = m !== null;
    if (!m) {
      out.push(line);
      continue;
    }
    // The value may go on in folded lines: gather it before masking.
    out.push(`${line.slice(0, m[0].length)}${maskCredentials(line.slice(m[0].length))}`);
  }
  return out.join('\r\n') + body;
}
