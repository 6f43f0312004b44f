import { flowDestination } from '../registrar/binding-destination.ts';
import type { Destination } from '../transport/transport.ts';

/** Where a subscription's NOTIFYs go: the SUBSCRIBE's source (UDP from the shared port, NAT-safe; a stream over its connection). */
export function destinationOf(rec: { readonly source: string; readonly contact: string }): Destination | undefined {
  return flowDestination(rec.source, rec.contact, false);
}
