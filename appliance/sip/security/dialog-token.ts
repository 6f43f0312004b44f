import { createHmac } from 'node:crypto';

/** Tokens remembered at most (DialogTokens.issued). */
const MAX_ISSUED = 4096;

/** The Record-Route URI parameter that carries the dialog token. */
export const DIALOG_TOKEN_PARAM = 'dlg';

/**
 * Dialog tokens: our Record-Route carries `;dlg=<HMAC(secret, Call-ID, From tag)>` (DESIGN.md,
 * issue 10). In-dialog requests (RFC 3261 §12.2) come back with that Route; we relay them only
 * when the token matches the request's Call-ID and one of its tags (the caller's tag is the
 * From tag in its own requests and the To tag in the callee's, §12.2.1.1). A stranger cannot
 * forge one, so a made-up To tag plus `Route: <sip:appliance;lr>` no longer relays anything.
 * Stateless: every worker (and a restarted one) shares the secret through the store.
 */
export class DialogTokens {
  constructor(private readonly secret: string) {}

  /**
   * Tokens issued lately, by their input: a call's ACK and BYE check the token its INVITE was
   * given here, so each HMAC is computed once per call, not three times (issue 16: 2-3 % of a
   * proxied call's CPU). A plain memo of our own function; bounded, cleared when full.
   */
  private readonly issued = new Map<string, string>();

  /** The token for a dialog-creating request's Call-ID and From tag. */
  issue(callId: string, fromTag: string): string {
    const input = `${callId}\n${fromTag}`;
    let token = this.issued.get(input);
    if (token !== undefined) return token;
    token = this.hmac(input);
    if (this.issued.size >= MAX_ISSUED) this.issued.clear();
    this.issued.set(input, token);
    return token;
  }

  private hmac(input: string): string {
    // Not Bun.CryptoHasher: half the CPU in a loop, but under load its native objects, freed
    // only by the collector, stalled the event loop for 100 ms (lingering-memory.test.ts shed calls).
    return createHmac('sha256', this.secret).update(input).digest('hex').slice(0, 20);
  }

  /** True when `token` was issued for this Call-ID and either tag of the request. */
  verify(token: string | undefined | null, callId: string, fromTag: string | undefined, toTag: string | undefined): boolean {
    if (!token || !/^[0-9a-f]{20}$/.test(token)) return false;
    if (fromTag !== undefined && sameToken(this.issue(callId, fromTag), token)) return true;
    return toTag !== undefined && sameToken(this.issue(callId, toTag), token);
  }
}

/**
 * Constant-time comparison of two tokens of 20 lower-case hex digits (what `issue` returns and
 * `verify` accepts): every character is compared, whatever differs first. No Buffers, unlike
 * auth/digest.ts `sameDigest`, which also lower-cases its hex (not needed here).
 */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
