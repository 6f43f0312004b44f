/**
 * Load shedding (DESIGN.md overload ladder): while the control section says so, new dialogs and
 * registrations beyond an admitted rate are refused with 503 and Retry-After (RFC 3261 §21.5.4),
 * so the admitted ones stay healthy. In-dialog requests are never refused here.
 */
export interface AdmissionRates {
  readonly callsPerSecond: number;
  readonly registersPerSecond: number;
  readonly retryAfterSeconds: number;
}

/** A token bucket refilled continuously at `rate` per second, holding at most one second's worth. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly rate: number, now = performance.now()) {
    this.tokens = Math.max(1, rate);
    this.last = now;
  }

  take(now = performance.now()): boolean {
    this.tokens = Math.min(Math.max(1, this.rate), this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Where new work goes after a hand-off to a peer appliance, and how. */
export interface HandOffTarget {
  readonly address: string;
  readonly port: number;
  /** redirect: 302 to the peer; forward: relay the new request to the peer. */
  readonly mode: 'redirect' | 'forward';
}

/** Admission of new work for one connection control section. */
export class AdmissionControl {
  private calls?: TokenBucket;
  private registers?: TokenBucket;
  private rates: AdmissionRates | null = null;
  /** Requests refused since the last report. */
  shed = 0;
  /** True while the worker drains: nothing new is admitted at all. */
  draining = false;
  /** Set while this appliance has handed its new traffic to a peer (issue 5). */
  handOff: HandOffTarget | null = null;

  set(rates: AdmissionRates | null): void {
    this.rates = rates;
    this.calls = rates ? new TokenBucket(rates.callsPerSecond) : undefined;
    this.registers = rates ? new TokenBucket(rates.registersPerSecond) : undefined;
  }

  get current(): AdmissionRates | null {
    return this.rates;
  }

  /** Whether a new dialog ('call') or registration may start now. */
  admit(kind: 'call' | 'register'): boolean {
    if (this.draining) return false;
    const bucket = kind === 'call' ? this.calls : this.registers;
    if (!bucket || bucket.take()) return true;
    this.shed++;
    return false;
  }

  /** Seconds to put in Retry-After. */
  get retryAfter(): number {
    return this.rates?.retryAfterSeconds ?? 5;
  }
}
