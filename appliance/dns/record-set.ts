import { existsHere, MAX_CHASE, positive, type DnsAnswer, type DnsRequest, type Handler } from './handler.ts';
import { inZone, TYPE, type ResourceRecord } from './records.ts';

/**
 * An indexed, immutable set of records for lookups by owner name. It also knows empty
 * non-terminals (RFC 8020 §2: a name with descendants exists, so it is NODATA, not NXDOMAIN).
 */
export class RecordSet {
  private readonly byName = new Map<string, ResourceRecord[]>();
  private readonly names = new Set<string>();

  /** `apexes`: the served zones; ancestors up to the enclosing apex become empty non-terminals. */
  constructor(records: Iterable<ResourceRecord>, private readonly apexes: readonly string[]) {
    for (const rr of records) this.add(rr);
  }

  private add(rr: ResourceRecord): void {
    const list = this.byName.get(rr.name);
    if (list) list.push(rr);
    else this.byName.set(rr.name, [rr]);
    const apex = this.apexes.find((z) => inZone(rr.name, z));
    let n = rr.name;
    this.names.add(n);
    while (apex && n !== apex) {
      n = n.slice(n.indexOf('.') + 1);
      this.names.add(n);
    }
  }

  /** Records owned by `name`, any type. */
  at(name: string): readonly ResourceRecord[] {
    return this.byName.get(name) ?? [];
  }

  /** True when `name` owns records or has descendants here. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Every record, for listing. */
  *all(): Iterable<ResourceRecord> {
    for (const list of this.byName.values()) yield* list;
  }

  get size(): number {
    return this.byName.size;
  }
}

/**
 * The common "answer from this set or pass on" step of a data resolver: the matching RRset;
 * a CNAME and its chase (RFC 1034 §3.6.2, §4.3.2 step 3a); else ask the rest of the chain and
 * turn its NXDOMAIN into NODATA because the name exists here.
 */
export async function answerFromSet(set: RecordSet, req: DnsRequest, next: Handler, additional?: (rrs: readonly ResourceRecord[]) => ResourceRecord[]): Promise<DnsAnswer> {
  const { name, type } = req.question;
  if (!set.has(name)) return next(req);
  const here = set.at(name);
  const matching = here.filter((r) => TYPE[r.type] === type);
  if (matching.length > 0) return positive(matching, additional?.(matching));
  const cname = here.find((r) => r.type === 'CNAME');
  if (cname && cname.type === 'CNAME' && type !== TYPE.CNAME) return chase(cname, req);
  return existsHere(await next(req));
}

async function chase(cname: ResourceRecord & { type: 'CNAME' }, req: DnsRequest): Promise<DnsAnswer> {
  if (req.depth >= MAX_CHASE) return positive([cname]);
  const rest = await req.lookup(cname.target, req.question.type);
  // Only chase inside our own zones (authoritative data); a foreign target is left to the client.
  if (!rest.authoritative) return positive([cname]);
  return { ...rest, answers: [cname, ...rest.answers] };
}
