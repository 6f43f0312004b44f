/**
 * Serial forking (RFC 3261 §16.7 step 6, §16.6): after the current targets of a fork rang for
 * their time, or all answered without success, the next targets are asked for and forwarded
 * within the same response context; the ringing branches are cancelled first (§16.10 CANCEL,
 * Fork.ringOut), so only one step rings at a time. Used by ring groups (hunt, fallback) and
 * call forwarding on busy / no answer / unreachable (proxy/planned-locator.ts).
 */
import type { Fork, ForkContinuation, ForkOutcome } from './fork.ts';
import type { RouteDecision, SerialStep, Target } from './targets.ts';

/** The fork's continuation: one step after another, each with its ring time. */
export class SerialFork implements ForkContinuation {
  private timer?: ReturnType<typeof setTimeout>;

  /** @param start forwards new targets in the fork (adds and starts their branches). */
  constructor(private readonly fork: Fork, private step: SerialStep, private readonly start: (targets: readonly Target[]) => void) {}

  /** Arms the first step's ring time (its targets were started by the caller). */
  begin(): void {
    this.arm();
  }

  advance(outcome: ForkOutcome): boolean {
    clearTimeout(this.timer);
    const next = this.step.next?.(outcome);
    if (!next) return false;
    next.then((d) => this.apply(d), () => this.fork.continued());
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private apply(d: RouteDecision): void {
    if (this.fork.over) return this.fork.continued();
    if (d.kind === 'reply') return this.fork.continued({ status: d.status, reason: d.reason });
    if (d.kind !== 'relay' || d.targets.length === 0) return this.fork.continued();
    this.step = d.serial ?? {};
    this.start(d.targets);
    this.arm();
    this.fork.continued();
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.step.ringMs !== undefined) this.timer = setTimeout(() => this.fork.ringOut(), this.step.ringMs);
  }
}
