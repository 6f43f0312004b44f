import type { TcpWrite, WorkerToControl } from '../control/ipc-protocol.ts';
import { NO_RESPONSE_MS } from '../sip/proxy/failover.ts';
import type { TcpEndpoints } from '../sip/transport/tcp-transport.ts';
import type { SendFailed } from '../sip/transport/transport.ts';

/**
 * How long a write handed to a sibling waits to be told it failed. The answer comes in one IPC
 * round trip when the holder has no connection (milliseconds); a holder that opens a new one
 * (not a flow) hears of a refused connect within this too, or the transaction's own timer takes over.
 */
export const REMOTE_FAILURE_WAIT_MS = NO_RESPONSE_MS;

/**
 * A worker's side of writing to TCP/TLS connections its siblings hold (a phone's connection
 * lives in the worker whose socket it opened; control/tcp-owners.ts is the control section's
 * table). This worker's copy of who holds what (`tcp-owners`), bytes handed to the holder
 * (`tcp-write`), and the answer when they did not leave (`tcp-write-failed`): the connection
 * closed just now and the tables had not caught up. The sender's `SendFailed` is then told,
 * so its transaction fails at once (RFC 3261 §17.1.4), for a flow with 430 Flow Failed (RFC
 * 5626 §5.3.1, proxy/fork.ts), rather than after Timer B's 32 s.
 */
export class RemoteWrites {
  private readonly owners = new Map<string, number>();
  /** Writes waiting for a possible failure, oldest first (Map order): id → who to tell, and since when. */
  private readonly pending = new Map<number, { readonly failed: SendFailed; readonly at: number }>();
  private nextId = 1;

  constructor(
    private readonly workerId: number,
    private readonly send: (msg: WorkerToControl) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Writes waiting for a possible failure now (tests, diagnostics). */
  get waiting(): number {
    return this.pending.size;
  }

  /** The control section's changes to the owners table (null: closed). */
  applyOwners(owners: readonly (readonly [string, number | null])[]): void {
    for (const [key, owner] of owners) {
      if (owner === null) this.owners.delete(key);
      else this.owners.set(key, owner);
    }
  }

  /** True when another worker holds `key`, as the control section last said. */
  siblingHolds(key: string): boolean {
    const owner = this.owners.get(key);
    return owner !== undefined && owner !== this.workerId;
  }

  /** Hands bytes to the sibling holding `key` (TcpEndpoints.remoteWrite); false when none does. */
  write(key: string, address: string, port: number, data: Buffer, connect: boolean, onFailed?: SendFailed): boolean {
    if (!this.siblingHolds(key)) return false;
    let id: number | undefined;
    if (onFailed) {
      this.expire();
      id = this.nextId++;
      this.pending.set(id, { failed: onFailed, at: this.now() });
    }
    this.send({ type: 'tcp-write', key, address, port, data: data.toString('base64'), ...(id !== undefined ? { id } : {}), ...(connect ? {} : { connect: false }) });
    return true;
  }

  /** A write of ours did not leave (`tcp-write-failed`): its sender hears why, once. */
  failed(id: number, reason: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.failed(reason);
  }

  /**
   * Bytes a sibling handed us for a connection of ours: over it, and never to a sibling again
   * (our table may be as stale as the sender's: no ping-pong). Not here any more: a flow
   * (`connect: false`) is not reopened, and the sender is told; otherwise we connect, as the
   * sender would have, and tell it should that fail.
   */
  deliver(msg: TcpWrite, edge: TcpEndpoints): void {
    const { id, from } = msg;
    const tell = id !== undefined && from !== undefined
      ? (reason: string) => this.send({ type: 'tcp-write-failed', id, to: from, reason })
      : undefined;
    const sent = edge.send(msg.address, msg.port, Buffer.from(msg.data, 'base64'), msg.key, msg.connect !== false, undefined, { local: true, ...(tell ? { onFailed: tell } : {}) });
    if (!sent) tell?.(`worker ${this.workerId} no longer holds the connection`);
  }

  private expire(): void {
    const before = this.now() - REMOTE_FAILURE_WAIT_MS;
    for (const [id, p] of this.pending) {
      if (p.at > before) return;
      this.pending.delete(id);
    }
  }
}
