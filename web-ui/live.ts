import type { Sample, Snapshot } from './types.ts';

type Listener<T> = (value: T) => void;

/**
 * One Server-Sent Events stream (/api/live) shared by every page: each new operating-state
 * sample, and a snapshot of registrations, calls, workers, peers and events when they change.
 */
class LiveFeed {
  private source: EventSource | undefined;
  private readonly sampleListeners = new Set<Listener<Sample>>();
  private readonly snapshotListeners = new Set<Listener<Snapshot>>();
  last: Snapshot | undefined;
  /** The session ended; `reason` from the server when it said why (appliance/web/auth/sessions.ts EndReason). */
  onLogout: (reason?: string) => void = () => {};
  onState: Listener<'live' | 'reconnecting'> = () => {};

  start(): void {
    if (this.source) return;
    const src = new EventSource('/api/live');
    this.source = src;
    src.addEventListener('open', () => this.onState('live'));
    src.addEventListener('error', () => {
      // A refused stream (401: the session ended) is CLOSED for good; the app asks the server.
      if (src.readyState === EventSource.CLOSED) {
        this.stop();
        this.onLogout();
      } else this.onState('reconnecting');
    });
    src.addEventListener('sample', (e) => {
      const s = JSON.parse((e as MessageEvent).data) as Sample;
      for (const l of this.sampleListeners) l(s);
    });
    src.addEventListener('snapshot', (e) => {
      this.last = JSON.parse((e as MessageEvent).data) as Snapshot;
      for (const l of this.snapshotListeners) l(this.last);
    });
    src.addEventListener('logout', (e) => {
      this.stop();
      let reason: string | undefined;
      try {
        reason = JSON.parse((e as MessageEvent).data)?.reason;
      } catch {
        // no reason given
      }
      this.onLogout(typeof reason === 'string' ? reason : undefined);
    });
  }

  stop(): void {
    this.source?.close();
    this.source = undefined;
  }

  onSample(l: Listener<Sample>): () => void {
    this.sampleListeners.add(l);
    return () => this.sampleListeners.delete(l);
  }

  /** Subscribes and calls back at once with the last snapshot, if any. */
  onSnapshot(l: Listener<Snapshot>): () => void {
    this.snapshotListeners.add(l);
    if (this.last) l(this.last);
    return () => this.snapshotListeners.delete(l);
  }
}

export const live = new LiveFeed();
