import { ShareGate } from './worker-load.ts';

/**
 * Load shedding (DESIGN.md overload ladder), two ways: the control section's admitted rates
 * (while it says so, new dialogs and registrations beyond a rate are refused), and the worker's
 * own judgement of itself (worker-load.ts: a saturated worker admits only a share of new work,
 * at once, even while another idles). Refused work gets 503 with Retry-After (RFC 3261
 * §21.5.4). In-dialog requests and emergency calls are never refused here.
 */
/**
 * The rates admitted while shedding, per worker: one type under one name from the policy's
 * `shed` action (control/policy/actions.ts) over the IPC (`admission`) to this class.
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
  /** Requests refused since the worker started (reports take the difference). */
  shed = 0;
  /** True while the worker drains: nothing new is admitted at all. */
  draining = false;
  /** Set while this appliance has handed its new traffic to a peer (issue 5). */
  handOff: HandOffTarget | null = null;
  /** The share of new work this worker admits by its own judgement (worker-load.ts); 1 = all. */
  localShare = 1;
  /** Requests refused by the worker's own judgement, since start (part of `shed`). */
  shedLocal = 0;
  /** The event-loop lag measured at the last tick, ms (load-monitor.ts). */
  lagMs = 0;
  /** Bytes waiting in the kernel's receive buffers of this worker's sockets at the last tick (load-monitor.ts). */
  queuedBytes = 0;
  /**
   * Transactions that had their final response at the last load tick and are kept only for
   * their timers (RFC 3261 §17: Timer J/K/L/M, up to 32 s). They hold ~1 KB each and no work
   * is left in them, so overload judges the others: open minus these.
   */
  lingering = 0;
  /** New dialogs and registrations offered since start (emergency calls aside). */
  offered = 0;
  /** Asked with the time at each offer: lets the load monitor judge a loop too busy to run its timer (load-monitor.ts). */
  probe: ((now: number) => void) | undefined;
  private readonly gate = new ShareGate();
  /**
   * Set by the receive path for the request being handled now when the flow spreader kept it
   * here in place of those it handed to siblings (flow-spreader.ts): the worker's own share was
   * applied there already, so it is not applied twice.
   */
  preAdmitted = false;

  /** Retry-After of a refusal by the worker's own judgement (`[overload] retry_after`). */
  localRetryAfter = 5;

  set(rates: AdmissionRates | null): void {
    this.rates = rates;
    this.calls = rates ? new TokenBucket(rates.callsPerSecond) : undefined;
    this.registers = rates ? new TokenBucket(rates.registersPerSecond) : undefined;
  }

  get current(): AdmissionRates | null {
    return this.rates;
  }

  /** Whether a new dialog ('call') or registration may start now; an emergency call always may. */
  admit(kind: 'call' | 'register', emergency = false): boolean {
    if (emergency) return true;
    this.offered++;
    this.probe?.(performance.now());
    if (this.draining) {
      this.shed++;
      return false;
    }
    if (!this.preAdmitted && !this.gate.admit(this.localShare)) {
      this.shed++;
      this.shedLocal++;
      return false;
    }
    const bucket = kind === 'call' ? this.calls : this.registers;
    if (!bucket || bucket.take()) return true;
    this.shed++;
    return false;
  }

  /** Seconds to put in Retry-After. */
  get retryAfter(): number {
    return this.rates?.retryAfterSeconds ?? this.localRetryAfter;
  }
}
