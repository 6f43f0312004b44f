import { dialogKey, type DialogEvent } from '../sip/dialog-events.ts';

/** One call in progress, as the calls view shows it. */
export interface ActiveCall {
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly startedAt: number;
  /** The worker that saw the call answered. */
  readonly worker: number;
}

/** A call that ended, for "recent calls". */
export interface EndedCall extends ActiveCall {
  readonly endedAt: number;
}

/** Dialogs live longer than this without a BYE are dropped from the view (a lost BYE). */
const STALE_MS = 12 * 3600_000;

/**
 * The active calls view across every connection control section: a call starts on whichever
 * worker forwarded the 2xx and ends on whichever forwarded the 2xx to its BYE.
 */
export class CallsView {
  private readonly active = new Map<string, ActiveCall>();
  private readonly recent: EndedCall[] = [];

  constructor(private readonly recentLimit = 200) {}

  apply(worker: number, events: readonly DialogEvent[]): void {
    for (const e of events) {
      const key = dialogKey(e.callId, e.tags);
      if (e.kind === 'start') {
        if (!this.active.has(key)) this.active.set(key, { callId: e.callId, from: e.from, to: e.to, startedAt: e.ts, worker });
      } else {
        const call = this.active.get(key);
        if (!call) continue;
        this.active.delete(key);
        this.recent.unshift({ ...call, endedAt: e.ts });
        if (this.recent.length > this.recentLimit) this.recent.pop();
      }
    }
  }

  /** Calls in progress, oldest first; drops ones whose BYE never came. */
  list(now = Date.now()): ActiveCall[] {
    for (const [k, c] of this.active) if (now - c.startedAt > STALE_MS) this.active.delete(k);
    return [...this.active.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  get count(): number {
    return this.active.size;
  }

  recentCalls(limit = 50): EndedCall[] {
    return this.recent.slice(0, limit);
  }
}
