import type { TrunkConfig } from '../../system/config/trunk-config.ts';
import { TrunkRegistrar, registrarText, type TrunkRegistrarDeps } from './trunk-registrar.ts';
import { trunkEventKind, trunkEventMessage, type TrunkStatus } from './trunk-status.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** What the trunk service needs besides the registrar's deps: the event log, and who hears of changes. */
export interface TrunkServiceDeps extends Omit<TrunkRegistrarDeps, 'onStatus'> {
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  /** Every status change (the worker sends it to the control section over the IPC). */
  readonly onStatus?: (status: TrunkStatus) => void;
}

/**
 * The trunks of one appliance, registered by exactly one connection control section (the one
 * in slot 0, or the in-process appliance): a registrar per trunk with `register = true`,
 * "static" for IP-authenticated trunks. Status changes go to the event log (`trunk.*`).
 */
export class TrunkService {
  private readonly registrars = new Map<string, TrunkRegistrar>();
  private statics: TrunkStatus[];
  /** The last kind and reason logged per trunk. */
  private readonly logged = new Map<string, string>();
  private started = false;

  constructor(private trunks: readonly TrunkConfig[], private readonly deps: TrunkServiceDeps) {
    this.statics = trunks.filter((t) => !t.register).map(staticStatus);
    for (const t of trunks) {
      if (!t.register) continue;
      this.registrars.set(t.name, this.registrar(t));
    }
  }

  private registrar(t: TrunkConfig): TrunkRegistrar {
    return new TrunkRegistrar(t, { ...this.deps, onStatus: (s) => this.changed(s) });
  }

  /**
   * The trunks changed (the admin edited the outside line): a removed or changed trunk's
   * registration ends (Expires: 0), a new or changed one starts; unchanged ones go on.
   */
  async update(trunks: readonly TrunkConfig[]): Promise<void> {
    const old = new Map(this.trunks.map((t) => [t.name, t]));
    const same = (a: TrunkConfig | undefined, b: TrunkConfig) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);
    const ending: Promise<void>[] = [];
    for (const [name, r] of this.registrars) {
      const now = trunks.find((t) => t.name === name);
      if (now && same(old.get(name), now)) continue;
      this.registrars.delete(name);
      ending.push(r.stop());
    }
    this.trunks = trunks;
    this.statics = trunks.filter((t) => !t.register).map(staticStatus);
    for (const name of this.logged.keys()) if (!trunks.some((t) => t.name === name)) this.logged.delete(name);
    await Promise.all(ending);
    for (const t of trunks) {
      if (t.register && !this.registrars.has(t.name)) {
        const r = this.registrar(t);
        this.registrars.set(t.name, r);
        if (this.started) r.start();
      } else if (!t.register && this.started && !same(old.get(t.name), t)) {
        this.changed(staticStatus(t));
      }
    }
  }

  /** Every trunk's status, in config order. */
  list(): TrunkStatus[] {
    return this.trunks.map((t) => this.registrars.get(t.name)?.status() ?? this.statics.find((s) => s.name === t.name)!);
  }

  start(): void {
    this.started = true;
    for (const s of this.statics) this.changed(s);
    for (const r of this.registrars.values()) r.start();
  }

  /** Unregisters every registered trunk (bounded wait). */
  async stop(): Promise<void> {
    await Promise.all([...this.registrars.values()].map((r) => r.stop()));
  }

  /** Stops refreshing without unregistering: the next generation's registrar took the trunks over. */
  release(): void {
    for (const r of this.registrars.values()) r.release();
  }

  private changed(s: TrunkStatus): void {
    // Refreshes change only the expiry: the control section hears of them, the event log does not.
    const kind = trunkEventKind(s);
    const prev = this.logged.get(s.name);
    if (prev !== `${kind}|${s.reason ?? ''}`) {
      this.logged.set(s.name, `${kind}|${s.reason ?? ''}`);
      this.deps.log(kind, trunkEventMessage(s), { trunk: s.name, state: s.state, ...(s.reason ? { reason: s.reason } : {}), registrar: s.registrar });
    }
    this.deps.onStatus?.(s);
  }
}

function staticStatus(t: TrunkConfig): TrunkStatus {
  return { name: t.name, state: 'static', reason: undefined, registrar: registrarText(t), expiresAt: undefined, retryAt: undefined };
}
