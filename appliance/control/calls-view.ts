import { dialogKey, type DialogEvent } from '../sip/dialog-events.ts';
import type { DialogLegs } from '../sip/hangup/dialog-legs.ts';
import type { DialogSequence } from '../sip/hangup/build-bye.ts';

/** One call in progress, as the calls view shows it. */
export interface ActiveCall {
  readonly callId: string;
  /** The dialog's tags, the caller's first (the call's record is found by them). */
  readonly tags: readonly [string, string];
  readonly from: string;
  readonly to: string;
  readonly startedAt: number;
  /** The worker that saw the call answered. */
  readonly worker: number;
  /** When the RFC 4028 session expires without a refresh (epoch ms); absent without session timers. */
  readonly expiresAt?: number;
}

/**
 * What hanging a call up needs (sip/hangup/): each side's leg as the worker that saw the 2xx
 * captured it, and the CSeq each side last used, moved by its in-dialog requests on any worker.
 */
export interface HangupState {
  readonly call: ActiveCall;
  readonly legs: DialogLegs;
  readonly seq: DialogSequence;
}

/** A call in progress as an upgrade's predecessor hands it over (succession.ts): with what hanging it up needs, when known. */
export interface HandedOverCall extends ActiveCall {
  readonly hangup?: { readonly legs: DialogLegs; readonly seq: DialogSequence };
}

/** A call that ended, for "recent calls". */
export interface EndedCall extends ActiveCall {
  readonly endedAt: number;
  /** How it ended: "BYE", "BYE answered 481", "session expired" (RFC 4028), "no BYE for 12 h". */
  readonly reason?: string;
}

/**
 * Calls without session timers whose BYE never came leave the view after this long: a proxy
 * in the signalling path only cannot tell a long call from a lost BYE otherwise.
 */
const STALE_MS = 12 * 3600_000;
/** How long an ended dialog is remembered, so a start reported after its end (another worker's batch came later) is not taken for a new call. */
const ENDED_MEMORY_MS = 64_000;
/** RFC 4028 §10: a refresh is due by the middle of the interval; the session ends at its end. Allow one retransmission cycle more. */
const EXPIRY_GRACE_MS = 32_000;

/**
 * The active calls view across every connection control section: a call starts on whichever
 * worker forwarded the 2xx and ends on whichever forwarded the final response to its BYE.
 * Workers report in batches, so events of one dialog may arrive out of order: an end that
 * comes before its start is remembered for a minute and ends the start when it arrives.
 */
export class CallsView {
  private readonly active = new Map<string, ActiveCall>();
  private readonly recent: EndedCall[] = [];
  /** Dialog key → when its end was seen, for ends that overtook their start. */
  private readonly ended = new Map<string, { at: number; reason?: string }>();
  /** Dialog key → the legs of an active call and its INVITE's CSeq (kept apart: the API lists ActiveCall as it is). */
  private readonly legs = new Map<string, { readonly legs: DialogLegs; readonly invite: number }>();
  /** Dialog key → From tag → the highest CSeq that side used (a `cseq` event may come before its start: another worker's batch). */
  private readonly seqs = new Map<string, Map<string, number>>();

  /** Told of every call that ends, however it ended (the call detail records, call-records.ts). */
  onFinish: ((call: EndedCall) => void) | undefined;

  constructor(private readonly recentLimit = 200) {}

  apply(worker: number, events: readonly DialogEvent[]): void {
    for (const e of events) {
      const key = dialogKey(e.callId, e.tags);
      if (e.kind === 'start') {
        if (this.active.has(key)) continue;
        const call: ActiveCall = { callId: e.callId, tags: e.tags, from: e.from, to: e.to, startedAt: e.ts, worker, ...expiry(e.ts, e.sessionExpires) };
        const end = this.ended.get(key);
        if (end) this.finish(call, end.at, end.reason);
        else {
          this.active.set(key, call);
          if (e.legs) this.legs.set(key, { legs: e.legs, invite: e.cseq ?? 1 });
        }
      } else if (e.kind === 'cseq') {
        if (!this.ended.has(key)) this.sequence(key, e.tags[0], e.seq);
      } else if (e.kind === 'failed' || e.kind === 'trying' || e.kind === 'early') {
        continue; // never answered, or not yet: a call record (call-records.ts) or a lamp (sip/events/lamp-board.ts), not a call in progress
      } else if (e.kind === 'refresh') {
        const call = this.active.get(key);
        if (call && e.sessionExpires) this.active.set(key, { ...call, ...expiry(e.ts, e.sessionExpires) });
      } else {
        const call = this.active.get(key);
        if (call) {
          this.drop(key);
          this.finish(call, e.ts, e.reason);
        } else {
          this.ended.set(key, { at: e.ts, reason: e.reason });
        }
      }
    }
  }

  /**
   * Calls in progress that another control section saw start (an upgrade's predecessor,
   * succession.ts): listed as in progress, ended (and their call records closed) by the BYE
   * our workers see; one whose end was seen already ends at once. `worker` 0: not one of ours.
   */
  adopt(calls: readonly HandedOverCall[], worker = 0): void {
    for (const { hangup, ...c } of calls) {
      const key = dialogKey(c.callId, c.tags);
      if (this.active.has(key)) continue;
      const call: ActiveCall = { ...c, worker };
      const end = this.ended.get(key);
      if (end) this.finish(call, end.at, end.reason);
      else {
        this.active.set(key, call);
        // Its legs and sequence numbers come along, so it can still be hung up from the UI.
        if (hangup?.legs?.caller && hangup.legs.callee && typeof hangup.seq?.caller === 'number' && typeof hangup.seq.callee === 'number') {
          this.legs.set(key, { legs: hangup.legs, invite: 1 });
          this.sequence(key, c.tags[0], hangup.seq.caller);
          this.sequence(key, c.tags[1], hangup.seq.callee);
        }
      }
    }
  }

  /** What hanging up the active dialogs of one Call-ID needs (several: a forked call answered twice); a call adopted from a predecessor before hang-up existed has no legs. */
  hangupStates(callId: string): { readonly call: ActiveCall; readonly state?: HangupState }[] {
    this.prune(Date.now());
    return [...this.active].filter(([, c]) => c.callId === callId).map(([key, call]) => {
      const held = this.legs.get(key);
      if (!held) return { call };
      // The callee's number space is empty until it sends a request (§12.2.2: the caller takes
      // any then); the INVITE's CSeq is its baseline, as in Kamailio's dialog module.
      const used = this.seqs.get(key);
      const caller = Math.max(held.invite, used?.get(call.tags[0]) ?? 0);
      const callee = Math.max(held.invite, used?.get(call.tags[1]) ?? 0);
      return { call, state: { call, legs: held.legs, seq: { caller, callee } } };
    });
  }

  /** The calls in progress with their hang-up state, for an upgrade's successor (`adopt`). */
  handover(): HandedOverCall[] {
    return this.list().map((call) => {
      const state = this.hangupStates(call.callId).find((f) => f.call === call)?.state;
      return state ? { ...call, hangup: { legs: state.legs, seq: state.seq } } : call;
    });
  }

  /** Calls in progress, oldest first; ends the ones whose session expired or whose BYE never came. */
  list(now = Date.now()): ActiveCall[] {
    this.prune(now);
    return [...this.active.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Calls in progress now (after pruning, so the dashboard and the list agree). */
  get count(): number {
    this.prune(Date.now());
    return this.active.size;
  }

  recentCalls(limit = 50): EndedCall[] {
    return this.recent.slice(0, limit);
  }

  private prune(now: number): void {
    for (const [k, c] of this.active) {
      if (c.expiresAt !== undefined && now > c.expiresAt) {
        this.drop(k);
        this.finish(c, c.expiresAt, 'session expired (RFC 4028)');
      } else if (c.expiresAt === undefined && now - c.startedAt > STALE_MS) {
        this.drop(k);
        this.finish(c, now, 'no BYE for 12 h');
      }
    }
    for (const [k, e] of this.ended) if (now - e.at > ENDED_MEMORY_MS) this.ended.delete(k);
    // Sequence numbers of dialogs that never started here (a SUBSCRIBE dialog's, a start lost): bounded.
    if (this.seqs.size > this.active.size + 10_000) for (const k of this.seqs.keys()) if (!this.active.has(k)) this.seqs.delete(k);
  }

  private drop(key: string): void {
    this.active.delete(key);
    this.legs.delete(key);
    this.seqs.delete(key);
  }

  /** A side's request used `seq`: the highest seen counts (batches of several workers arrive in any order). */
  private sequence(key: string, fromTag: string, seq: number): void {
    const used = this.seqs.get(key) ?? new Map<string, number>();
    used.set(fromTag, Math.max(seq, used.get(fromTag) ?? 0));
    this.seqs.set(key, used);
  }

  private finish(call: ActiveCall, endedAt: number, reason?: string): void {
    const ended: EndedCall = { ...call, endedAt, ...(reason ? { reason } : {}) };
    this.recent.unshift(ended);
    if (this.recent.length > this.recentLimit) this.recent.pop();
    this.onFinish?.(ended);
  }
}

function expiry(ts: number, sessionExpires: number | undefined): { expiresAt?: number } {
  return sessionExpires ? { expiresAt: ts + sessionExpires * 1000 + EXPIRY_GRACE_MS } : {};
}
