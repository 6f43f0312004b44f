/** Small readers of SIP message text as the hand-driven test clients (sip-tls-phone.ts) see it. */

/** The Call-ID of a message's text (RFC 3261 §20.8). */
export const callIdOf = (m: string): string | undefined => /^Call-ID:\s*(.+)$/im.exec(m)?.[1].trim();

/** A matcher for a request of `method` (and of `callId` when given). */
export const isRequest = (method: string, callId?: string) => (m: string): boolean =>
  m.startsWith(`${method} `) && (callId === undefined || callIdOf(m) === callId);

/** The tag parameter of a From or To value (RFC 3261 §19.3). */
export const tagOf = (value: string | undefined): string | undefined => /;tag=([^;>\s]+)/.exec(value ?? '')?.[1];
