import type { BindingChange, Store } from '../../system/store/index.ts';
import type { PeerService } from '../peers/peer-service.ts';
import type { WorkerHandle, WorkerPool } from './worker-pool.ts';

/**
 * Where a registration change came from, which decides where it still has to go:
 * - `worker`: a worker's registrar made it and wrote it to the store; its siblings and the peers need it;
 * - `peer`: a peer replicated it (already checked); the store and every worker need it, the peers had it;
 * - `admin`: the admin removed a binding; the store, every worker and the peers need it.
 */
export type BindingOrigin =
  | { readonly kind: 'worker'; readonly worker: WorkerHandle }
  | { readonly kind: 'peer' }
  | { readonly kind: 'admin' };

/**
 * The one fan-out of registration changes in the control section (issue 13 item 7: it was
 * coded three times): store, workers, peers, each unless the origin already has them.
 * Returns how many changes were spread.
 */
export function fanOutBindings(changes: readonly BindingChange[], origin: BindingOrigin, to: {
  readonly store: Store; readonly pool: WorkerPool; readonly peers: Pick<PeerService, 'replicate'>;
}): number {
  // Only what the store took goes on: a peer's binding older than a removal here (its
  // tombstone) must not reach the workers' memory either.
  const spread = origin.kind === 'worker' ? changes : to.store.registrations.apply(changes);
  if (spread.length === 0) return 0;
  to.pool.broadcast({ type: 'bindings', changes: spread }, origin.kind === 'worker' ? origin.worker : undefined);
  if (origin.kind !== 'peer') to.peers.replicate(spread);
  return spread.length;
}
