/**
 * What a transaction tells the table that holds it (transaction-layer.ts), one object for all
 * its transactions (no closure per transaction, issue 12):
 * - `settled`: it has its final response (RFC 3261 §17: a server transaction sent it, a client
 *   transaction received it) or ended without one. Called once, when it leaves Trying/Calling/
 *   Proceeding; from then on it only lingers for its timers (J, K, D, H, I, L, M).
 * - `terminated`: it reached Terminated and may leave the table. Called once, after `settled`.
 */
export interface TransactionOwner<T> {
  settled(t: T): void;
  terminated(t: T): void;
}
