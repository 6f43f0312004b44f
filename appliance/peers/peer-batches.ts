import { MAX_UNAUTHENTICATED_BODY_BYTES } from '../web/body-limit.ts';

/**
 * Most bytes of one peer request's JSON body we send: the peer API refuses a body over
 * MAX_UNAUTHENTICATED_BODY_BYTES (64 KiB, checked before the signature: body-limit.ts) with
 * 413, and a batch of 500 extension rows (~400 bytes each) or bindings (~330) is far larger.
 * 4 KiB are left for the wrapper and for rows a receiver of an older version measures otherwise.
 */
export const PEER_BODY_BUDGET = MAX_UNAUTHENTICATED_BODY_BYTES - 4096;

/**
 * Cuts `items` into batches of at most `maxItems` whose JSON (`[a,b,...]`, as the request body
 * carries the list) is at most `maxBytes` UTF-8 bytes (pure). An item larger than the budget
 * alone goes in a batch of its own (the receiver refuses it with 413; the rest still go).
 */
export function batchesBySize<T>(items: readonly T[], maxItems: number, maxBytes = PEER_BODY_BUDGET): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (batch.length > 0 && (batch.length >= maxItems || bytes + size > maxBytes)) {
      out.push(batch);
      batch = [];
      bytes = 2;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
