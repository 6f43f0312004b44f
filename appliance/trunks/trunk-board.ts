import type { TrunkConfig } from '../../system/config/trunk-config.ts';
import { registrarText } from './trunk-registrar.ts';
import { isTrunkStatus, type TrunkStatus } from './trunk-status.ts';

/**
 * The control section's picture of the trunks: the configured ones, with the latest status
 * the registering worker (slot 0) reported over the IPC. Until it reports, a registering
 * trunk shows "registering" and an IP-authenticated one "static".
 */
export class TrunkBoard {
  private readonly statuses = new Map<string, TrunkStatus>();

  constructor(private trunks: readonly TrunkConfig[]) {
    for (const t of trunks) this.statuses.set(t.name, initialStatus(t));
  }

  /**
   * The trunks changed (the admin edited the outside line, or a reload): new and changed ones
   * start "registering" / "static" until the registering worker reports, removed ones go,
   * unchanged ones keep their state.
   */
  configure(trunks: readonly TrunkConfig[]): void {
    const old = new Map(this.trunks.map((t) => [t.name, t]));
    this.trunks = trunks;
    for (const name of [...this.statuses.keys()]) if (!trunks.some((t) => t.name === name)) this.statuses.delete(name);
    for (const t of trunks) if (!this.statuses.has(t.name) || JSON.stringify(old.get(t.name)) !== JSON.stringify(t)) this.statuses.set(t.name, initialStatus(t));
  }

  /** A trunk's account as the API shows it (never its password: presentTrunk). */
  trunk(name: string): TrunkConfig | undefined {
    return this.trunks.find((t) => t.name === name);
  }

  /** A status from a worker; ignored unless well-formed and naming a configured trunk. */
  apply(status: unknown): boolean {
    if (!isTrunkStatus(status) || !this.statuses.has(status.name)) return false;
    this.statuses.set(status.name, { ...status, reason: status.reason ?? undefined, expiresAt: status.expiresAt ?? undefined, retryAt: status.retryAt ?? undefined });
    return true;
  }

  /** The registering worker went away: what it reported is no longer known to hold. */
  reset(): void {
    for (const t of this.trunks) this.statuses.set(t.name, initialStatus(t));
  }

  /** Every trunk in config order. */
  list(): TrunkStatus[] {
    return this.trunks.map((t) => this.statuses.get(t.name)!);
  }
}

function initialStatus(t: TrunkConfig): TrunkStatus {
  return { name: t.name, state: t.register ? 'registering' : 'static', reason: undefined, registrar: registrarText(t), expiresAt: undefined, retryAt: undefined };
}
