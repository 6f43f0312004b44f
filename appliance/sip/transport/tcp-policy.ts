import type { SipTcpLimits } from '../../../system/config/index.ts';

/** Why a connection is refused at accept: the per-source or the per-worker cap is reached. */
export type Refusal = 'per-source' | 'total';

/**
 * Whether a new connection from a source may be accepted, given what is open now. Checked at
 * accept, so a flood costs one file descriptor for an instant per refused connection.
 */
export function admit(openTotal: number, openFromSource: number, limits: SipTcpLimits): Refusal | undefined {
  if (openTotal >= limits.maxConnections) return 'total';
  if (openFromSource >= limits.maxPerSource) return 'per-source';
  return undefined;
}

/** What the timers need to know of a connection (times in ms, one clock). */
export interface ConnTimes {
  /** When it was accepted or opened. */
  readonly openedAt: number;
  /** When a byte last went either way (CRLF keep-alives included, RFC 5626 §4.4.1). */
  readonly activeAt: number;
  /** When the first byte of the message being received came; undefined between messages. */
  readonly messageStartedAt?: number;
  /** True once a complete SIP message travelled over it (either way). */
  readonly established: boolean;
}

/** Why a connection is closed by its timers. */
export type Expiry = 'message' | 'first-message' | 'idle';

/**
 * The timeout decision for one connection at `now`:
 * - a message started must be complete within `messageTimeout` (slowloris),
 * - a connection that has carried no complete message is closed `firstMessageTimeout` after it
 *   opened, whatever it sends meanwhile (pings do not keep a stranger's connection alive),
 * - an established one is closed after `idleTimeout` without any traffic. The default of that
 *   is above `max_expires`, so a phone that registered over it and sends nothing until its
 *   re-REGISTER keeps the connection its incoming calls arrive on.
 */
export function expiry(c: ConnTimes, now: number, limits: SipTcpLimits): Expiry | undefined {
  if (c.messageStartedAt !== undefined && now - c.messageStartedAt >= limits.messageTimeout * 1000) return 'message';
  if (!c.established) return now - c.openedAt >= limits.firstMessageTimeout * 1000 ? 'first-message' : undefined;
  return now - c.activeAt >= limits.idleTimeout * 1000 ? 'idle' : undefined;
}

/** How often the timers are checked: a quarter of the shortest timeout, between 0.1 and 1 s. */
export function sweepInterval(limits: SipTcpLimits): number {
  const shortest = Math.min(limits.messageTimeout, limits.firstMessageTimeout, limits.idleTimeout) * 1000;
  return Math.max(100, Math.min(1000, Math.floor(shortest / 4)));
}
