import type { SipRequest, SipResponse, Source } from './message/types.ts';
import type { Destination, SipTransport } from './transport/transport.ts';
import { TokenBucket } from './pipeline/admission-control.ts';
import { maskMessage } from './trace-mask.ts';

/** One SIP message of a call as this worker saw it, for the ladder diagram. */
export interface TraceEntry {
  /**
   * When this worker saw the message, ms since the epoch on a monotonic clock
   * ({@link traceNow}): deltas within a call are immune to wall-clock steps.
   */
  readonly ts: number;
  /** in: received by the appliance; out: sent by it. */
  readonly dir: 'in' | 'out';
  /** The other end, `address:port`. */
  readonly peer: string;
  /** `INVITE`, `180 Ringing`, ... */
  readonly label: string;
  readonly worker?: number;
  /** The message as it crossed the wire, Authorization values masked, while the raw budget lasts. */
  readonly raw?: string;
}

/**
 * The trace's timestamp: whole ms since the epoch, read from the monotonic clock anchored at
 * this process's start (`performance.timeOrigin`), not `Date.now()`. A wall-clock step (NTP)
 * during a call once made a member's ring time 8199 ms inside a 7147 ms call. Workers are
 * separate processes, so their stamps agree as well as their start times' wall clocks did.
 */
export const traceNow = (): number => Math.floor(performance.timeOrigin + performance.now());

const MAX_CALLS = 2000;
const MAX_ENTRIES = 40;
/**
 * New calls traced per second at most. A burst used to fill all 2,000 calls in under a second,
 * and those entries, allocated among the burst's garbage, kept the heap blocks around them
 * from being freed after it (JSC does not move objects): measured after a 3,000 calls/s burst,
 * a worker's RSS was 134 MB after a full collection with the trace, 85 MB without it.
 * An office makes a few calls a second; every one of them keeps its ladder.
 */
const MAX_NEW_PER_SECOND = 50;
/** How far into a sent message its Call-ID is looked for. */
const HEAD = 1500;
const CRLF = Buffer.from('\r\n');
const ALL_ID = 'all-id';

/**
 * The Call-ID of a message we send, read from its bytes (the first `HEAD`): the value of the
 * first line `call-id` or `i` (any case, RFC 3261 §7.3.3, §20.8), optional SP/HTAB, `:`, a
 * value, trimmed. The regex `/\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]+)/i` over its text said
 * the same; the bytes are read in place, with no string of the whole head for every message
 * (issue 16: that was 3 % of a proxied call's CPU, every send while any call is traced).
 */
function callIdIn(data: Buffer): string | undefined {
  const limit = Math.min(data.length, HEAD);
  for (let line = 0; line + 2 < limit; line++) {
    if (data[line] !== 13 || data[line + 1] !== 10) continue;
    let i = line + 2;
    const c = data[i]! | 0x20;
    if (c === 0x63 && i + 7 <= limit && sameLetters(data, i + 1, ALL_ID)) i += 7; // c, C
    else if (c === 0x69) i += 1; // i, I
    else continue;
    while (i < limit && (data[i] === 32 || data[i] === 9)) i++;
    if (i >= limit || data[i] !== 58) continue; // ':'
    let end = ++i;
    while (end < limit && data[end] !== 13 && data[end] !== 10) end++;
    if (end > i) return data.toString('latin1', i, end).trim();
  }
  return undefined;
}

/** True when the bytes at `at` spell `word` (lower case), letters in any case. */
function sameLetters(data: Buffer, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    const w = word.charCodeAt(k);
    const b = data[at + k]!;
    if (b !== w && !(w >= 0x61 && w <= 0x7a && b === w - 0x20)) return false;
  }
  return true;
}
/**
 * The message text kept for the ladder's "full message" view: at most 8 KiB of each message,
 * at most 4 MiB in all per worker (about 2,000 messages of a typical 2 KB INVITE); past that the
 * oldest calls lose their text first (their labels stay).
 */
const MAX_RAW_MESSAGE = 8 * 1024;
const MAX_RAW_TOTAL = 4 * 1024 * 1024;

/** A trace entry as stored: its raw text may be dropped later to stay within the budget. */
type Stored = { -readonly [K in keyof TraceEntry]: TraceEntry[K] };

/**
 * A small per-call message trace (bounded: 2,000 calls, 40 messages each, oldest calls
 * dropped, 50 new calls a second): recording starts with a dialog-creating INVITE, and every later message with that
 * Call-ID, in or out, is added. The control section asks every worker for a call's trace and
 * merges them, since no worker sees the whole call.
 */
export class CallTrace {
  private readonly calls = new Map<string, Stored[]>();
  /** Characters of raw text held, and the calls holding some, oldest first. */
  private rawChars = 0;
  private readonly withRaw: string[] = [];
  private readonly starts: TokenBucket;

  constructor(private readonly clock: () => number = () => performance.now()) {
    this.starts = new TokenBucket(MAX_NEW_PER_SECOND, clock());
  }

  /** A received request or response; `data` its bytes as they arrived (kept masked, within the budget). */
  received(msg: SipRequest | SipResponse, source: Source, data?: Buffer): void {
    const callId = msg.headers['call-id'];
    if (typeof callId !== 'string') return;
    let list = this.calls.get(callId);
    if (!list) {
      if (!('method' in msg) || msg.method !== 'INVITE' || msg.headers.to?.params?.tag) return;
      if (!this.starts.take(this.clock())) return;
      list = this.start(callId);
    }
    const label = 'method' in msg && msg.method ? msg.method : `${(msg as SipResponse).status} ${(msg as SipResponse).reason}`;
    this.push(callId, list, { ts: traceNow(), dir: 'in', peer: `${source.address}:${source.port}`, label }, data);
  }

  /** A message sent (read from its bytes: first line and Call-ID). */
  sent(dest: Destination, data: Buffer): void {
    if (this.calls.size === 0) return;
    const callId = callIdIn(data);
    const list = callId ? this.calls.get(callId) : undefined;
    if (!list) return;
    const first = data.toString('latin1', 0, data.indexOf(CRLF));
    const label = first.startsWith('SIP/2.0 ') ? first.slice(8) : first.slice(0, first.indexOf(' '));
    this.push(callId!, list, { ts: traceNow(), dir: 'out', peer: `${dest.address}:${dest.port}`, label }, data);
  }

  /** Calls traced now. */
  get size(): number {
    return this.calls.size;
  }

  get(callId: string): readonly TraceEntry[] {
    return this.calls.get(callId) ?? [];
  }

  /** Wraps a transport so everything sent through it is traced. */
  wrap(transport: SipTransport): SipTransport {
    return {
      send: (dest, data, fromShared, onFailed) => {
        this.sent(dest, data);
        return transport.send(dest, data, fromShared, onFailed);
      },
      hasConnection: (key) => transport.hasConnection(key),
      close: () => transport.close(),
    };
  }

  /** Characters of message text held now (for the budget's test). */
  get rawSize(): number {
    return this.rawChars;
  }

  private start(callId: string): Stored[] {
    if (this.calls.size >= MAX_CALLS) {
      const oldest = this.calls.keys().next().value!;
      this.dropRaw(oldest);
      this.calls.delete(oldest);
    }
    const list: Stored[] = [];
    this.calls.set(callId, list);
    return list;
  }

  private push(callId: string, list: Stored[], e: Stored, data: Buffer | undefined): void {
    if (list.length >= MAX_ENTRIES) return;
    if (data) {
      const raw = maskMessage(data.toString('utf8', 0, Math.min(data.length, MAX_RAW_MESSAGE)));
      while (this.rawChars + raw.length > MAX_RAW_TOTAL && this.withRaw.length > 0) this.dropRaw(this.withRaw[0]!);
      e.raw = raw;
      this.rawChars += raw.length;
      if (!list.some((x) => x.raw !== undefined)) this.withRaw.push(callId);
    }
    list.push(e);
  }

  /** Drops the message text of one call (its labels stay). */
  private dropRaw(callId: string): void {
    const i = this.withRaw.indexOf(callId);
    if (i >= 0) this.withRaw.splice(i, 1);
    for (const e of this.calls.get(callId) ?? []) {
      if (e.raw !== undefined) this.rawChars -= e.raw.length;
      delete e.raw;
    }
  }
}
