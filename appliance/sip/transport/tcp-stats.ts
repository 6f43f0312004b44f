import type { Expiry, Refusal } from './tcp-policy.ts';

/** The event log gets at most one line of TCP defence counters per this period. */
const SUMMARY_MS = 60_000;

/**
 * Counters of what the TCP bounds did in one connection control section. A flood must not
 * become a flood of log lines: `summary` reports the changes at most once a minute.
 */
export class TcpStats {
  accepted = 0;
  refusedPerSource = 0;
  refusedTotal = 0;
  /** Connections we wanted to open, refused by the per-worker cap. */
  refusedOutgoing = 0;
  timedOutMessage = 0;
  timedOutFirstMessage = 0;
  timedOutIdle = 0;
  /** Messages refused for their size (513 answered when the headers were readable). */
  tooLarge = 0;
  answered513 = 0;
  /** Other broken framing (missing or several Content-Length). */
  badFraming = 0;
  /** Peers that stopped reading until their queue passed its cap. */
  overflows = 0;
  handlerErrors = 0;
  /** TLS only: handshakes that failed (plaintext on the TLS port, bad certificates, junk). */
  handshakeFailures = 0;
  private lastSummaryAt = -Infinity;
  private lastSummary = '';

  /** `label`: the transport named in the log line (TCP, TLS). */
  constructor(private readonly label = 'TCP') {}

  refuse(why: Refusal): void {
    if (why === 'total') this.refusedTotal++;
    else this.refusedPerSource++;
  }

  expired(why: Expiry): void {
    if (why === 'message') this.timedOutMessage++;
    else if (why === 'first-message') this.timedOutFirstMessage++;
    else this.timedOutIdle++;
  }

  framing(error: string, answered: boolean): void {
    if (/too large/.test(error)) this.tooLarge++;
    else this.badFraming++;
    if (answered) this.answered513++;
  }

  /** One log line when something was refused or cut since the last one, at most once a minute. */
  summary(now: number): string | undefined {
    if (now - this.lastSummaryAt < SUMMARY_MS) return undefined;
    const parts = [
      ['refused (per-source cap)', this.refusedPerSource], ['refused (total cap)', this.refusedTotal],
      ['outgoing refused', this.refusedOutgoing], ['slow message', this.timedOutMessage],
      ['no first message', this.timedOutFirstMessage], ['too large', this.tooLarge], ['bad framing', this.badFraming],
      ['send queue overflow', this.overflows], ['handler errors', this.handlerErrors], ['failed TLS handshakes', this.handshakeFailures],
    ].filter(([, n]) => (n as number) > 0).map(([what, n]) => `${what}: ${n}`);
    const text = parts.join(', ');
    if (text === '' || text === this.lastSummary) return undefined;
    this.lastSummary = text;
    this.lastSummaryAt = now;
    return `SIP over ${this.label} defences since start: ${text}`;
  }
}
