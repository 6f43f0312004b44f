import type { DnsContext } from '../context.ts';
import type { Resolver } from '../handler.ts';
import { answerFromSet } from '../record-set.ts';

/** Admin-managed records from the store (and PTRs derived from admin A/AAAA records). */
export function zoneRecordsResolver(ctx: DnsContext): Resolver {
  return (next) => (req) => answerFromSet(ctx.data.adminRecords, req, next);
}
