import { createHash } from 'node:crypto';
import type { DialogEvent } from '../dialog-events.ts';

/** RFC 4235 §3.7.1 dialog states as the proxy sees them (it never sees `proceeding` apart from `trying`). */
export type LampDialogState = 'trying' | 'early' | 'confirmed' | 'terminated';

/** What a busy lamp shows for an extension (the receptionist's console, the PIDF note). */
export type LampState = 'idle' | 'ringing' | 'in-call';

/** One dialog of an extension, from that extension's side (RFC 4235 §4.1 `<dialog>`). */
export interface LampDialog {
  /** Stable, XML-safe id of the dialog (`id` attribute). */
  readonly id: string;
  readonly callId: string;
  /** The extension's own tag ('' while its phone sent none). */
  readonly localTag: string;
  readonly remoteTag: string;
  /** `initiator`: the extension called; `recipient`: it was called. */
  readonly direction: 'initiator' | 'recipient';
  readonly state: LampDialogState;
  /** The other party's URI (From for a recipient, To for an initiator). */
  readonly peer: string;
  /** When the dialog entered its state (epoch ms). */
  readonly since: number;
  /** The worker whose fork holds the call (call pickup asks it). */
  readonly worker: number;
}

/** An extension's lamp as the web UI and the console read it (docs/PBX.md "Busy lamps"). */
export interface ExtensionLamp {
  readonly extension: string;
  readonly state: LampState;
  readonly dialogs: readonly LampDialog[];
}

/** What changed for one extension: its dialogs now, and the ones that just ended (sent once as `terminated`). */
export interface LampChange {
  readonly extension: string;
  readonly dialogs: readonly LampDialog[];
  readonly ended: readonly LampDialog[];
}

/** One call as the board follows it: one INVITE's response context (all its branches). */
interface BoardCall {
  readonly callId: string;
  readonly callerTag: string;
  readonly from: string;
  readonly to: string;
  readonly worker: number;
  /** The calling extension, when the caller is one of ours. */
  readonly caller: string | undefined;
  state: 'trying' | 'early' | 'confirmed';
  /** Extensions whose phones ring now (or the one that answered). */
  callees: string[];
  calleeTag: string;
  since: number;
}

/** Trying/early calls are forgotten after this (Timer C is 3 minutes a step; a hunt restarts it, bounded by 180 s groups). */
const RINGING_LIMIT_MS = 10 * 60_000;
/** Confirmed calls without session timers whose BYE never came (as the calls view, control/calls-view.ts). */
const CONFIRMED_LIMIT_MS = 12 * 3600_000;
/** How long an end that overtook its start (another worker's batch) is remembered. */
const ENDED_MEMORY_MS = 64_000;
/** At most one prune scan per this long. */
const PRUNE_EVERY_MS = 1000;

/**
 * Dialog state per extension across every worker (busy lamps, RFC 4235; presence; pickup),
 * assembled from the dialog events the workers emit: a call's INVITE events (`trying`,
 * `early`, `start`, `failed`) all come from the worker whose fork holds it, in order; its
 * BYE's `end` may come from any worker, even before its start. One owner: the control section
 * (the single-process appliance holds its own); the workers get its changes.
 */
export class LampBoard {
  private readonly calls = new Map<string, BoardCall>();
  /** Call-ID → keys of its calls (a BYE names the dialog by its tags, either way round). */
  private readonly byCallId = new Map<string, Set<string>>();
  private readonly ended = new Map<string, number>();
  private prunedAt = -Infinity;

  /** @param isOurs the extension number of a URI of our domain that is an extension, else undefined. */
  constructor(private readonly extensionOf: (uri: string) => string | undefined) {}

  /** Applies a worker's events; returns what changed, per extension. */
  apply(worker: number, events: readonly DialogEvent[], now = Date.now()): LampChange[] {
    const touched = new Map<string, LampDialog[]>();
    for (const e of events) this.applyOne(worker, e, touched);
    for (const [ext, ended] of this.prune(now)) touched.set(ext, [...(touched.get(ext) ?? []), ...ended]);
    return [...touched].map(([extension, ended]) => ({ extension, dialogs: this.dialogsOf(extension), ended }));
  }

  /** An extension's dialogs now. */
  dialogsOf(extension: string): LampDialog[] {
    const out: LampDialog[] = [];
    for (const c of this.calls.values()) {
      if (c.caller === extension) out.push(dialogOf(c, 'initiator'));
      if (c.callees.includes(extension)) out.push(dialogOf(c, 'recipient'));
    }
    return out;
  }

  /** Every extension with a dialog now, its lamp and dialogs (an extension not listed is idle). */
  lamps(now = Date.now()): ExtensionLamp[] {
    this.prune(now);
    return this.busyExtensions().sort().map((extension) => {
      const dialogs = this.dialogsOf(extension);
      return { extension, state: lampState(dialogs), dialogs };
    });
  }

  /** Every extension with a dialog now. */
  busyExtensions(): string[] {
    const s = new Set<string>();
    for (const c of this.calls.values()) {
      if (c.caller) s.add(c.caller);
      for (const x of c.callees) s.add(x);
    }
    return [...s];
  }

  private applyOne(worker: number, e: DialogEvent, touched: Map<string, LampDialog[]>): void {
    const touch = (exts: readonly (string | undefined)[], ended?: LampDialog) => {
      for (const x of exts) {
        if (!x) continue;
        const list = touched.get(x) ?? [];
        if (ended) list.push(ended);
        touched.set(x, list);
      }
    };
    if (e.kind === 'trying') {
      const key = callKey(e.callId, e.tags[0]);
      if (this.ended.has(key)) return;
      const c = this.calls.get(key);
      if (!c) {
        const caller = this.extensionOf(e.from);
        if (!caller && e.callees.length === 0) return;
        const call: BoardCall = { callId: e.callId, callerTag: e.tags[0], from: e.from, to: e.to, worker, caller, state: 'trying', callees: [...e.callees], calleeTag: '', since: e.ts };
        this.add(key, call);
        touch([caller, ...call.callees]);
        return;
      }
      // A serial step: the previous step's extensions stop ringing.
      const gone = c.callees.filter((x) => !e.callees.includes(x));
      for (const x of gone) touch([x], { ...dialogOf(c, 'recipient'), state: 'terminated', since: e.ts });
      c.callees = [...e.callees];
      touch([c.caller, ...c.callees]);
      return;
    }
    if (e.kind === 'early') {
      const c = this.calls.get(callKey(e.callId, e.tags[0]));
      if (!c || c.state === 'confirmed') return;
      if (c.state !== 'early') c.since = e.ts;
      c.state = 'early';
      c.calleeTag = e.tags[1];
      if (e.callee && !c.callees.includes(e.callee)) c.callees.push(e.callee);
      touch([c.caller, ...c.callees]);
      return;
    }
    if (e.kind === 'start') {
      const key = callKey(e.callId, e.tags[0]);
      let c = this.calls.get(key);
      if (!c && this.ended.has(key)) return; // its BYE came first and ended it
      if (!c) {
        // A start without trying (an earlier version's worker): follow it from now.
        const caller = this.extensionOf(e.from);
        const callee = e.answeredBy ?? this.extensionOf(e.to);
        if (!caller && !callee) return;
        c = { callId: e.callId, callerTag: e.tags[0], from: e.from, to: e.to, worker, caller, state: 'trying', callees: callee ? [callee] : [], calleeTag: '', since: e.ts };
        this.add(key, c);
      }
      if (this.ended.has(key)) return this.finish(key, e.ts, touch);
      // The other phones of the call were cancelled: only the one that answered stays.
      if (e.answeredBy) {
        for (const x of c.callees) if (x !== e.answeredBy) touch([x], { ...dialogOf(c, 'recipient'), state: 'terminated', since: e.ts });
        c.callees = [e.answeredBy];
      }
      c.state = 'confirmed';
      c.calleeTag = e.tags[1];
      c.since = e.ts;
      touch([c.caller, ...c.callees]);
      return;
    }
    if (e.kind === 'failed') {
      const key = callKey(e.callId, e.tags[0]);
      if (this.calls.has(key)) this.finish(key, e.ts, touch);
      return;
    }
    if (e.kind === 'end') {
      // The BYE may come from either side: its From tag is the caller's or the callee's. It is
      // remembered either way: an end that overtook its start (still ringing here) drops that start.
      for (const tag of e.tags) this.ended.set(callKey(e.callId, tag), e.ts);
      for (const tag of e.tags) {
        const key = callKey(e.callId, tag);
        if (this.calls.has(key)) return this.finish(key, e.ts, touch);
      }
    }
  }

  private add(key: string, c: BoardCall): void {
    this.calls.set(key, c);
    const keys = this.byCallId.get(c.callId) ?? new Set<string>();
    keys.add(key);
    this.byCallId.set(c.callId, keys);
  }

  private finish(key: string, ts: number, touch: (exts: readonly (string | undefined)[], ended?: LampDialog) => void): void {
    const c = this.calls.get(key);
    if (!c) return;
    this.calls.delete(key);
    const keys = this.byCallId.get(c.callId);
    keys?.delete(key);
    if (keys?.size === 0) this.byCallId.delete(c.callId);
    if (c.caller) touch([c.caller], { ...dialogOf(c, 'initiator'), state: 'terminated', since: ts });
    for (const x of c.callees) touch([x], { ...dialogOf(c, 'recipient'), state: 'terminated', since: ts });
  }

  /** Ends calls held too long (a lost BYE, a lost final) and forgets old ends; returns the ended dialogs per extension. */
  private prune(now: number): Map<string, LampDialog[]> {
    const out = new Map<string, LampDialog[]>();
    // Its limits are minutes and its memory 64 s: a scan a second is enough. Scanning on every
    // batch of dialog events was 15 % of the control section's time at 250 calls/s (a profile
    // of bench/sip-cps), every call and every ended one each time.
    if (now >= this.prunedAt && now - this.prunedAt < PRUNE_EVERY_MS) return out;
    this.prunedAt = now;
    const touch = (exts: readonly (string | undefined)[], ended?: LampDialog) => {
      for (const x of exts) if (x && ended) out.set(x, [...(out.get(x) ?? []), ended]);
    };
    for (const [key, c] of this.calls) {
      const limit = c.state === 'confirmed' ? CONFIRMED_LIMIT_MS : RINGING_LIMIT_MS;
      if (now - c.since > limit) this.finish(key, now, touch);
    }
    for (const [k, at] of this.ended) if (now - at > ENDED_MEMORY_MS) this.ended.delete(k);
    return out;
  }
}

/** The lamp an extension's dialogs make: in a call (or calling out), ringing, or idle. */
export function lampState(dialogs: readonly LampDialog[]): LampState {
  const live = dialogs.filter((d) => d.state !== 'terminated');
  if (live.some((d) => d.state === 'confirmed' || d.direction === 'initiator')) return 'in-call';
  return live.length > 0 ? 'ringing' : 'idle';
}

function callKey(callId: string, callerTag: string): string {
  return `${callId}|${callerTag}`;
}

function dialogOf(c: BoardCall, direction: 'initiator' | 'recipient'): LampDialog {
  const id = createHash('sha1').update(`${c.callId}|${c.callerTag}|${direction}`).digest('hex').slice(0, 16);
  const initiator = direction === 'initiator';
  return {
    id, callId: c.callId, direction, state: c.state, since: c.since, worker: c.worker,
    localTag: initiator ? c.callerTag : c.calleeTag, remoteTag: initiator ? c.calleeTag : c.callerTag,
    peer: initiator ? c.to : c.from,
  };
}
