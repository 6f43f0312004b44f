/**
 * Which worker holds which TCP connection (a phone registered over TCP is reached only through
 * the worker whose socket it opened): the control section's table, kept from the workers' `tcp`
 * messages and sent to every worker as `tcp-owners` changes (null: closed).
 */
export class TcpOwners {
  private readonly owners = new Map<string, number>();

  /** Every connection and its holder (what a worker just started is sent). */
  entries(): [string, number][] {
    return [...this.owners];
  }

  /** A worker opened or closed a connection; returns the change to broadcast. */
  update(key: string, open: boolean, workerId: number): readonly [string, number | null] {
    if (open) this.owners.set(key, workerId);
    else if (this.owners.get(key) === workerId) this.owners.delete(key);
    return [key, open ? workerId : null];
  }

  /** The worker holding a connection, if any. */
  ownerOf(key: string): number | undefined {
    return this.owners.get(key);
  }

  /** A worker exited: its connections are gone; returns the changes to broadcast. */
  dropWorker(workerId: number): (readonly [string, null])[] {
    const gone = [...this.owners].filter(([, id]) => id === workerId).map(([key]) => [key, null] as const);
    for (const [key] of gone) this.owners.delete(key);
    return gone;
  }
}
