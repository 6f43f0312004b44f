import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { Packet } from 'dns2';
import type { UpstreamAnswer } from './handler.ts';
import { TYPE, typeName, type ResourceRecord } from './records.ts';
import { scanResponse } from './wire/response-scan.ts';
import { wireName } from './wire/answer-encoder.ts';
import { naptrFromRdata } from './wire/naptr-rdata.ts';

/** A forwarded answer as cached: upstream bytes for the wire, records for in-process callers. */
export interface ForwardedAnswer {
  readonly rcode: number;
  readonly upstream: UpstreamAnswer;
  readonly answers: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
}

interface CacheEntry { readonly answer: ForwardedAnswer; readonly expiresAt: number }

const TIMEOUT_MS = 1500;
const MAX_CACHE = 10_000;
const MAX_TTL = 3600;
/** TTL for negative answers that carry no SOA (RFC 2308 §5 leaves it to the resolver). */
const BARE_NEGATIVE_TTL = 5;

/**
 * Forwards questions outside our zones to the configured resolvers over UDP and caches the
 * answers for their TTL. Responses are accepted only from the server asked, with the ID and
 * question asked (RFC 5452 §9.1); IDs are random 16-bit values from a CSPRNG (RFC 5452 §3).
 */
export class Forwarder {
  private readonly servers: { address: string; port: number }[];
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<ForwardedAnswer | undefined>>();
  private readonly pending = new Map<number, { server: { address: string; port: number }; name: string; type: number; done: (b: Uint8Array | undefined) => void }>();
  private readonly sockets = new Map<4 | 6, Socket>();

  constructor(forwarders: readonly string[], private readonly log?: (line: string) => void, private readonly now = Date.now) {
    this.servers = forwarders.map((f) => {
      const [address, port] = f.split('#');
      return { address, port: port ? Number(port) : 53 };
    });
  }

  /** The answer for a question, from cache or upstream; undefined when every server failed. */
  async query(name: string, type: number): Promise<ForwardedAnswer | undefined> {
    const key = `${name}\u0000${type}`;
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.now()) return aged(hit.answer, this.now());
    let p = this.inflight.get(key);
    if (!p) {
      p = this.ask(name, type).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const got = await p;
    return got && aged(got, this.now());
  }

  /** Closes the sockets; pending questions fail. */
  stop(): void {
    for (const p of this.pending.values()) p.done(undefined);
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private async ask(name: string, type: number): Promise<ForwardedAnswer | undefined> {
    for (const server of this.servers) {
      const bytes = await this.exchange(server, name, type);
      if (!bytes) continue;
      const layout = scanResponse(bytes);
      if (!layout || layout.rcode === 2) continue; // SERVFAIL: try the next server
      const receivedAt = this.now();
      const body = layout.optAtEnd !== undefined ? stripTail(bytes, layout.optAtEnd) : bytes;
      const parsed = parseRecords(body);
      const answer: ForwardedAnswer = { rcode: layout.rcode, upstream: { bytes: body, ttlOffsets: layout.ttlOffsets, receivedAt }, ...parsed };
      const ttl = Math.min(layout.minTtl ?? BARE_NEGATIVE_TTL, MAX_TTL);
      if (ttl > 0 && !layout.truncated) {
        if (this.cache.size >= MAX_CACHE) this.cache.clear();
        this.cache.set(`${name}\u0000${type}`, { answer, expiresAt: receivedAt + ttl * 1000 });
      }
      return answer;
    }
    return undefined;
  }

  private exchange(server: { address: string; port: number }, name: string, type: number): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      let id = randomInt(0x10000);
      for (let i = 0; this.pending.has(id) && i < 16; i++) id = randomInt(0x10000);
      if (this.pending.has(id)) return resolve(undefined);
      const timer = setTimeout(() => done(undefined), TIMEOUT_MS);
      const done = (b: Uint8Array | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(b);
      };
      this.pending.set(id, { server, name, type, done });
      const socket = this.socketFor(isIP(server.address) === 6 ? 6 : 4);
      socket.send(buildQuery(id, name, type), server.port, server.address, (err) => {
        if (err) {
          this.log?.(`dns: forwarding to ${server.address}#${server.port} failed: ${err.message}`);
          done(undefined);
        }
      });
    });
  }

  private socketFor(family: 4 | 6): Socket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = createSocket(family === 6 ? 'udp6' : 'udp4');
    s.on('error', (err) => this.log?.(`dns: forwarder socket: ${err.message}`));
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      const p = this.pending.get(msg.readUInt16BE(0));
      // RFC 5452 §9.1: same server, same ID, same question, else ignore (possible spoof).
      if (!p || rinfo.address !== p.server.address || rinfo.port !== p.server.port) return;
      if (!sameQuestion(msg, p.name, p.type)) return;
      p.done(new Uint8Array(msg));
    });
    this.sockets.set(family, s);
    return s;
  }
}

/** A recursive query with EDNS(0) 1232 (RFC 6891). */
function buildQuery(id: number, name: string, type: number): Uint8Array {
  const q = wireName(name);
  const out = Buffer.alloc(12 + q.length + 4 + 11);
  out.writeUInt16BE(id, 0);
  out[2] = 0x01; // RD
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 10);
  q.copy(out, 12);
  out.writeUInt16BE(type, 12 + q.length);
  out.writeUInt16BE(1, 14 + q.length);
  const o = 16 + q.length;
  out.writeUInt16BE(TYPE.OPT, o + 1);
  out.writeUInt16BE(1232, o + 3);
  return out;
}

function sameQuestion(msg: Buffer, name: string, type: number): boolean {
  const q = wireName(name);
  if (msg.length < 12 + q.length + 4) return false;
  for (let i = 0; i < q.length; i++) {
    let c = msg[12 + i];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== q[i]) return false;
  }
  return msg.readUInt16BE(12 + q.length) === type;
}

function stripTail(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice(0, at);
  const ar = ((out[10] << 8) | out[11]) - 1;
  out[10] = ar >> 8; out[11] = ar & 0xff;
  return out;
}

/** Records of the answer and authority sections, for in-process callers (dns2 decodes them). */
function parseRecords(body: Uint8Array): { answers: ResourceRecord[]; authority: ResourceRecord[] } {
  try {
    const p = Packet.parse(Buffer.from(body));
    return { answers: p.answers.map(fromDns2).filter(isRR), authority: p.authorities.map(fromDns2).filter(isRR) };
  } catch {
    return { answers: [], authority: [] };
  }
}

const isRR = (r: ResourceRecord | undefined): r is ResourceRecord => r !== undefined;

function fromDns2(r: any): ResourceRecord | undefined {
  if (!r) return undefined;
  const base = { name: String(r.name).toLowerCase(), ttl: r.ttl as number };
  switch (typeName(r.type)) {
    case 'A': return { ...base, type: 'A', address: r.address };
    case 'AAAA': return { ...base, type: 'AAAA', address: r.address };
    case 'CNAME': return { ...base, type: 'CNAME', target: r.domain };
    case 'PTR': return { ...base, type: 'PTR', target: r.domain };
    case 'NS': return { ...base, type: 'NS', target: r.ns };
    case 'TXT': return { ...base, type: 'TXT', texts: r.data };
    case 'SRV': return { ...base, type: 'SRV', priority: r.priority, weight: r.weight, port: r.port, target: r.target };
    case 'NAPTR': {
      // dns2 has no NAPTR parser: the record arrives as raw RDATA (the SIP proxy needs it, RFC 3263 §4.1).
      const naptr = r.data instanceof Uint8Array ? naptrFromRdata(r.data) : undefined;
      return naptr && { ...base, ...naptr };
    }
    case 'SOA': return {
      ...base, type: 'SOA', mname: r.primary, rname: r.admin, serial: r.serial, refresh: r.refresh, retry: r.retry, expire: r.expiration, minimum: r.minimum,
    };
    default: return undefined;
  }
}

/** TTLs counted down by the time spent in the cache (RFC 1035 §7.3 / RFC 2181 §8). */
function aged(a: ForwardedAnswer, now: number): ForwardedAnswer {
  const spent = Math.floor((now - a.upstream.receivedAt) / 1000);
  if (spent <= 0) return a;
  const dec = (r: ResourceRecord) => ({ ...r, ttl: Math.max(0, r.ttl - spent) });
  return { ...a, answers: a.answers.map(dec), authority: a.authority.map(dec) };
}
