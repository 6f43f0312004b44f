import { statusFor } from '../../system/errors/index.ts';
import { ask } from './chain.ts';
import { clientFilter } from './client-filter.ts';
import type { DnsContext } from './context.ts';
import type { DnsAnswer, Handler, UpstreamAnswer } from './handler.ts';
import { RCODE, TYPE } from './records.ts';
import { DnsCounters } from './dns-counters.ts';
import { appendOpt, encodeAnswer, encodeHeaderOnly, FLAG, OPT_LENGTH, writeOpt } from './wire/answer-encoder.ts';
import { decodeQuery, type DecodedQuery } from './wire/query-decoder.ts';

/** Largest UDP answer we send even when a client advertises more (avoids IP fragmentation). */
const MAX_UDP = 4096;
/** Bound on the ready-bytes cache (names × types); on overflow it starts afresh. */
const MAX_CACHED = 20_000;
const CLASS_IN = 1;
const CLASS_ANY = 255;

/** Per-query counters, for the operating state and tests. */
export interface WireStats {
  queries: number;
  cacheHits: number;
  dropped: number;
  errors: number;
}

/**
 * Bytes in, bytes out: the edge-independent part of the server. Decodes the query, applies the
 * ACL, answers hot names from a cache of ready wire bytes (patching ID, RD/CD and the question's
 * case per query, DESIGN.md), otherwise runs the resolver chain and encodes with dns2. Handles
 * EDNS(0) (RFC 6891) and truncation (RFC 1035 §4.2.1, RFC 2181 §9). Never throws.
 */
export class WireHandler {
  readonly stats: WireStats = { queries: 0, cacheHits: 0, dropped: 0, errors: 0 };
  /** Answers by type and rcode, and their latency (the metrics, metrics/appliance-metrics.ts). */
  readonly counters = new DnsCounters();
  private readonly cache = new Map<string, Map<number, Uint8Array>>();
  private cached = 0;
  private changes = 0;
  private readonly admits: (address: string) => boolean;
  private readonly recursion: boolean;

  constructor(private readonly ctx: DnsContext, private readonly chain: Handler, private readonly log?: (line: string) => void) {
    this.admits = clientFilter(ctx.config.dns.allow);
    this.recursion = ctx.forwarder !== undefined;
  }

  /** Forgets cached answers: of `names` only, or all of them. */
  invalidate(names?: readonly string[]): void {
    this.changes++;
    if (!names) {
      this.cache.clear();
      this.cached = 0;
      return;
    }
    for (const n of names) {
      this.cached -= this.cache.get(n)?.size ?? 0;
      this.cache.delete(n);
    }
  }

  /** Answers one message; undefined means send nothing (dropped). */
  handle(msg: Uint8Array, client: string, transport: 'udp' | 'tcp'): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const started = performance.now();
    const out = this.respond(msg, client, transport);
    if (out instanceof Promise) return out.then((o) => this.counted(msg, o, started));
    return this.counted(msg, out, started);
  }

  private counted(msg: Uint8Array, out: Uint8Array | undefined, started: number): Uint8Array | undefined {
    if (out) this.counters.answered(msg, out, (performance.now() - started) / 1000);
    return out;
  }

  private respond(msg: Uint8Array, client: string, transport: 'udp' | 'tcp'): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    this.stats.queries++;
    const q = decodeQuery(msg);
    if (q.kind === 'drop') {
      this.stats.dropped++;
      return undefined;
    }
    if (q.kind === 'error') {
      this.stats.errors++;
      const rcode = statusFor(q.rcode).dnsRcode;
      return encodeHeaderOnly(msg, q.questionEnd, q.id, FLAG.QR | (q.opcode << 3) | (q.rd ? FLAG.RD : 0), rcode);
    }
    const limit = transport === 'tcp' ? 0xffff : q.edns ? Math.min(Math.max(q.edns.udpSize, 512), MAX_UDP) : 512;
    // RFC 6891 §6.1.3: an unknown EDNS version gets BADVERS (16: 0 in the header, 1 in the OPT).
    if (q.edns && q.edns.version > 0) return appendOpt(this.bare(msg, q, 0), RCODE.BADVERS >> 4);
    if (!this.admits(client)) return this.finishBare(msg, q, statusFor('forbidden').dnsRcode);
    // Only class IN (ANY accepted as IN); names with dots inside labels are never ours;
    // zone transfers are not offered.
    if ((q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) || q.oddName || q.type === TYPE.AXFR || q.type === TYPE.IXFR) {
      return this.finishBare(msg, q, statusFor('forbidden').dnsRcode);
    }
    const hit = this.cache.get(q.name)?.get(q.type);
    if (hit) {
      this.stats.cacheHits++;
      return finish(hit, msg, q, limit);
    }
    return this.slowPath(msg, q, client, limit);
  }

  private async slowPath(msg: Uint8Array, q: DecodedQuery, client: string, limit: number): Promise<Uint8Array | undefined> {
    const changesBefore = this.changes;
    let answer: DnsAnswer;
    try {
      answer = await ask(this.chain, q.name, q.type, client);
    } catch (err) {
      this.log?.(`dns: resolving ${q.name} type ${q.type} failed: ${(err as Error).message}`);
      return this.finishBare(msg, q, statusFor('internal').dnsRcode);
    }
    if (answer.upstream) return relay(answer.upstream, msg, q, limit);
    let bytes: Uint8Array;
    try {
      bytes = encodeAnswer(q.name, q.type, q.qclass, answer, this.recursion);
    } catch (err) {
      this.log?.(`dns: encoding the answer for ${q.name} failed: ${(err as Error).message}`);
      return this.finishBare(msg, q, statusFor('internal').dnsRcode);
    }
    if (answer.authoritative && this.changes === changesBefore) this.store(q.name, q.type, bytes);
    return finish(bytes, msg, q, limit);
  }

  private store(name: string, type: number, bytes: Uint8Array): void {
    if (this.cached >= MAX_CACHED) this.invalidate();
    let byType = this.cache.get(name);
    if (!byType) this.cache.set(name, (byType = new Map()));
    if (!byType.has(type)) this.cached++;
    byType.set(type, bytes);
  }

  private bare(msg: Uint8Array, q: DecodedQuery, rcode: number): Uint8Array {
    return encodeHeaderOnly(msg, q.questionEnd, q.id, FLAG.QR | (q.rd ? FLAG.RD : 0), (q.cd ? FLAG.CD : 0) | rcode);
  }

  private finishBare(msg: Uint8Array, q: DecodedQuery, rcode: number): Uint8Array {
    const out = this.bare(msg, q, rcode);
    return q.edns ? appendOpt(out) : out;
  }
}

/** A cached full response made fit for this query: ID, RD/CD, question case, OPT, size. */
function finish(cached: Uint8Array, msg: Uint8Array, q: DecodedQuery, limit: number): Uint8Array {
  const out = new Uint8Array(cached.length + (q.edns ? OPT_LENGTH : 0));
  out.set(cached);
  out[0] = msg[0]; out[1] = msg[1];
  if (q.rd) out[2] |= FLAG.RD;
  if (q.cd) out[3] |= FLAG.CD;
  // Same name, same length: the client's spelling replaces our lower-case one (RFC 4343 §4.1).
  out.set(msg.subarray(12, q.questionEnd), 12);
  if (q.edns) writeOpt(out, cached.length);
  return out.length <= limit ? out : truncated(out, q);
}

/** RFC 1035 §4.2.1, RFC 2181 §9: header + question (+ OPT) with TC=1; the client retries over TCP. */
function truncated(full: Uint8Array, q: DecodedQuery): Uint8Array {
  const out = encodeHeaderOnly(full, q.questionEnd, q.id, full[2] | FLAG.TC, full[3]);
  return q.edns ? appendOpt(out) : out;
}

/** A forwarded answer: TTLs aged, ID/RD/CD and question case patched, OPT as the client asked. */
function relay(up: UpstreamAnswer, msg: Uint8Array, q: DecodedQuery, limit: number): Uint8Array {
  const out = new Uint8Array(up.bytes);
  const spent = Math.max(0, Math.floor((Date.now() - up.receivedAt) / 1000));
  if (spent > 0) {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (const o of up.ttlOffsets) view.setUint32(o, Math.max(0, view.getUint32(o) - spent));
  }
  out[0] = msg[0]; out[1] = msg[1];
  out[2] = (out[2] & ~(FLAG.AA | FLAG.RD)) | (q.rd ? FLAG.RD : 0);
  out[3] = (out[3] & ~FLAG.CD) | FLAG.RA | (q.cd ? FLAG.CD : 0);
  // The upstream echoed the question we sent (checked on receipt), which is the client's name
  // lower-cased: same length, so the client's spelling can be copied over it.
  if (out.length >= q.questionEnd) out.set(msg.subarray(12, q.questionEnd - 4), 12);
  const withOpt = q.edns ? appendOpt(out) : out;
  return withOpt.length <= limit ? withOpt : truncated(withOpt, q);
}
