import { addHistograms, CALL_SETUP_BUCKETS, DNS_LATENCY_BUCKETS, emptyHistogram, type HistogramSnapshot } from './histogram.ts';

/**
 * What one connection control section counted since it started, sent with every report (and
 * with `drained`): cumulative, so a report lost or late loses nothing; the control section
 * adds up the workers (TotalsLedger) for the metrics.
 */
export interface WorkerTotals {
  /** SIP requests received, by method (sip-counters.ts COUNTED_METHODS or "other"). */
  readonly sipRequests: Readonly<Record<string, number>>;
  /** SIP replies sent (ours and relayed) by the request's method: counts per class 1xx..6xx. */
  readonly sipReplies: Readonly<Record<string, readonly number[]>>;
  /** New dialogs and registrations refused with 503 by load shedding. */
  readonly shed: number;
  /** Messages refused unprocessed: banned or over-rate sources. */
  readonly banned: number;
  /** Malformed requests (answered 400) and messages dropped (undecodable, unmatched responses). */
  readonly malformed: number;
  readonly dropped: number;
  /** INVITE → first 2xx, seconds (histogram.ts CALL_SETUP_BUCKETS). */
  readonly callSetup: HistogramSnapshot;
  /** DNS answers by query type: counts per RCODE 0..15. */
  readonly dnsAnswers: Readonly<Record<string, readonly number[]>>;
  /** DNS messages dropped without an answer (not a query, too short). */
  readonly dnsDropped: number;
  /** DNS answer time, seconds (DNS_LATENCY_BUCKETS). */
  readonly dnsLatency: HistogramSnapshot;
  /** Datagrams of hot flows handed to siblings / taken from them. */
  readonly spreadOut: number;
  readonly spreadIn: number;
}

/** Nothing counted yet. */
export function emptyTotals(): WorkerTotals {
  return {
    sipRequests: {}, sipReplies: {}, shed: 0, banned: 0, malformed: 0, dropped: 0, callSetup: emptyHistogram(CALL_SETUP_BUCKETS),
    dnsAnswers: {}, dnsDropped: 0, dnsLatency: emptyHistogram(DNS_LATENCY_BUCKETS), spreadOut: 0, spreadIn: 0,
  };
}

/** The sum of two workers' totals (key by key, bucket by bucket). */
export function addTotals(a: WorkerTotals, b: WorkerTotals): WorkerTotals {
  return {
    sipRequests: addCounts(a.sipRequests, b.sipRequests),
    sipReplies: addVectors(a.sipReplies, b.sipReplies),
    shed: a.shed + b.shed, banned: a.banned + b.banned, malformed: a.malformed + b.malformed, dropped: a.dropped + b.dropped,
    callSetup: addHistograms(a.callSetup, b.callSetup),
    dnsAnswers: addVectors(a.dnsAnswers, b.dnsAnswers),
    dnsDropped: a.dnsDropped + b.dnsDropped,
    dnsLatency: addHistograms(a.dnsLatency, b.dnsLatency),
    spreadOut: a.spreadOut + b.spreadOut, spreadIn: a.spreadIn + b.spreadIn,
  };
}

function addCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function addVectors(a: Readonly<Record<string, readonly number[]>>, b: Readonly<Record<string, readonly number[]>>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(a)) out[k] = [...v];
  for (const [k, v] of Object.entries(b)) {
    const into = (out[k] ??= []);
    for (let i = 0; i < v.length; i++) into[i] = (into[i] ?? 0) + v[i];
  }
  return out;
}

/** Bounds on what a worker may send (IPC is an edge): label keys and vector lengths. */
const MAX_KEYS = 64;
const MAX_VECTOR = 64;

/** Narrowing for totals arriving over the IPC: every count a finite number ≥ 0, keys bounded. */
export function isWorkerTotals(v: unknown): v is WorkerTotals {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  const count = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  const vector = (x: unknown) => Array.isArray(x) && x.length <= MAX_VECTOR && x.every(count);
  const record = (x: unknown, item: (y: unknown) => boolean) =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length <= MAX_KEYS && Object.values(x).every(item);
  const histogram = (x: unknown) => typeof x === 'object' && x !== null && vector((x as HistogramSnapshot).counts) && count((x as HistogramSnapshot).sum);
  return record(t.sipRequests, count) && record(t.sipReplies, vector) && record(t.dnsAnswers, vector)
    && [t.shed, t.banned, t.malformed, t.dropped, t.dnsDropped, t.spreadOut, t.spreadIn].every(count)
    && histogram(t.callSetup) && histogram(t.dnsLatency);
}

/**
 * The appliance's totals across worker restarts: the latest totals of each live worker plus
 * the last totals of every worker that has gone (kept when it retires), so no counter goes
 * backwards when a worker is replaced (Prometheus would read a drop as a counter reset).
 */
export class TotalsLedger {
  private readonly live = new Map<number, WorkerTotals>();
  private retired = emptyTotals();

  /** A worker's totals from a report; ignored when malformed. */
  update(workerId: number, totals: unknown): void {
    if (isWorkerTotals(totals)) this.live.set(workerId, totals);
  }

  /** The worker has exited: what it last reported stays counted. */
  retire(workerId: number): void {
    const last = this.live.get(workerId);
    if (!last) return;
    this.retired = addTotals(this.retired, last);
    this.live.delete(workerId);
  }

  /** Everything counted by the workers of this appliance since the control section started. */
  sum(): WorkerTotals {
    let out = this.retired;
    for (const t of this.live.values()) out = addTotals(out, t);
    return out;
  }
}
