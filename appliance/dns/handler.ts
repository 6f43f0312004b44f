import { statusFor, type ErrorCode } from '../../system/errors/index.ts';
import { RCODE, type ResourceRecord } from './records.ts';

/** The question as the chain sees it: lower-case name without trailing dot, numeric type. */
export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
}

/** One query travelling down the resolver chain. */
export interface DnsRequest {
  readonly question: DnsQuestion;
  /** Client address; undefined for in-process lookups (the SIP proxy), which are trusted. */
  readonly client?: string;
  /** How many CNAME / target hops led here; bounded by {@link MAX_CHASE}. */
  readonly depth: number;
  /** Restarts the whole chain for another name (CNAME chasing, additional data). */
  readonly lookup: (name: string, type: number) => Promise<DnsAnswer>;
}

/** A forwarded answer kept as the upstream's bytes (see forwarder.ts). */
export interface UpstreamAnswer {
  /** Response bytes without OPT, TTLs as of `receivedAt`. */
  readonly bytes: Uint8Array;
  /** Byte offsets of every RR's TTL field, to age them when served from cache. */
  readonly ttlOffsets: readonly number[];
  readonly receivedAt: number;
}

/** What a resolver decides: the sections of a response, record-typed (RFC 1035 §4.1). */
export interface DnsAnswer {
  readonly rcode: number;
  /** AA flag: true for our zones (RFC 1035 §4.1.1), false for forwarded answers. */
  readonly authoritative: boolean;
  readonly answers: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
  readonly additional: readonly ResourceRecord[];
  /** Set for forwarded answers: the edge relays these bytes instead of encoding the sections. */
  readonly upstream?: UpstreamAnswer;
}

/** Answers a request (CoreDNS's plugin handler). */
export type Handler = (req: DnsRequest) => Promise<DnsAnswer>;

/** Wraps the rest of the chain: answer, or pass to `next` (CoreDNS's plugin). */
export type Resolver = (next: Handler) => Handler;

/** Bound on CNAME chains inside our zones (RFC 1034 §3.6.2 loops). */
export const MAX_CHASE = 8;

/** An authoritative positive answer. */
export function positive(answers: readonly ResourceRecord[], additional: readonly ResourceRecord[] = []): DnsAnswer {
  return { rcode: RCODE.NOERROR, authoritative: true, answers, authority: [], additional };
}

/** A bare response code with empty sections (REFUSED, FORMERR, NOTIMP, SERVFAIL). */
export function bare(rcode: number, authoritative = false): DnsAnswer {
  return { rcode, authoritative, answers: [], authority: [], additional: [] };
}

/**
 * The rest of the chain said NXDOMAIN for a name this resolver knows: the name exists, so the
 * answer is NODATA (RFC 2308 §2.2: NOERROR, empty answer, the SOA stays in authority).
 */
export function existsHere(answer: DnsAnswer): DnsAnswer {
  return answer.rcode === RCODE.NXDOMAIN ? { ...answer, rcode: RCODE.NOERROR } : answer;
}

/** An error answer whose rcode comes from the one status map (system/errors/status-map.ts). */
export function refusal(code: ErrorCode): DnsAnswer {
  return bare(statusFor(code).dnsRcode);
}
