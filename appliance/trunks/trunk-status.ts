import type { TrunkConfig } from '../../system/config/trunk-config.ts';
import type { RegistrationStatus } from './trunk-registration.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/**
 * One trunk as the admin sees it (UI, `GET /api/trunks`, CLI `trunk list`), and as the worker
 * that registers the trunks reports it to the control section over the IPC. Never the password.
 */
export interface TrunkStatus {
  readonly name: string;
  /** "static": an IP-authenticated trunk (register = false), nothing to register. */
  readonly state: RegistrationStatus | 'static';
  /** Why it is failed (the provider's status and reason, or ours). */
  readonly reason: string | undefined;
  /** The registrar as configured (host or host:port). */
  readonly registrar: string;
  /** While up: when the granted registration runs out (ms epoch); it is refreshed at about half. */
  readonly expiresAt: number | undefined;
  /** While failed: when the next attempt goes out (ms epoch). */
  readonly retryAt: number | undefined;
}

/** The event-log kind of a status change (docs/TRUNKS.md). */
export function trunkEventKind(s: TrunkStatus): EventKind {
  switch (s.state) {
    case 'up': return 'trunk.registered';
    case 'failed': return 'trunk.failed';
    case 'registering': return 'trunk.registering';
    case 'unregistered': return 'trunk.unregistered';
    case 'static': return 'trunk.static';
  }
}

/** One line for the event log and the console. */
export function trunkEventMessage(s: TrunkStatus, now = Date.now()): string {
  switch (s.state) {
    case 'up': return `trunk ${s.name} registered at ${s.registrar}${s.expiresAt ? ` for ${Math.round((s.expiresAt - now) / 1000)} s` : ''}`;
    case 'failed': return `trunk ${s.name} registration at ${s.registrar} failed: ${s.reason ?? 'unknown'}${s.retryAt ? `; retrying in ${Math.max(0, Math.round((s.retryAt - now) / 1000))} s` : ''}`;
    case 'registering': return `trunk ${s.name} registering at ${s.registrar}`;
    case 'unregistered': return `trunk ${s.name} unregistered`;
    case 'static': return `trunk ${s.name} is IP-authenticated (register = false): nothing to register`;
  }
}

/** Narrowing for statuses arriving over the IPC (an edge: checked field by field). */
export function isTrunkStatus(v: unknown): v is TrunkStatus {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const optNum = (x: unknown) => x === undefined || x === null || typeof x === 'number';
  return typeof s.name === 'string' && typeof s.registrar === 'string'
    && ['registering', 'up', 'failed', 'unregistered', 'static'].includes(s.state as string)
    && (s.reason === undefined || s.reason === null || typeof s.reason === 'string') && optNum(s.expiresAt) && optNum(s.retryAt);
}

/** One trunk as the API and the CLI show it: its status and account, never its password. */
export function presentTrunk(s: TrunkStatus, t: TrunkConfig | undefined, now = Date.now()) {
  return {
    name: s.name, state: s.state, reason: s.reason ?? null, registrar: s.registrar,
    expiresAt: s.expiresAt ?? null, expiresInSeconds: s.expiresAt ? Math.max(0, Math.round((s.expiresAt - now) / 1000)) : null,
    retryAt: s.retryAt ?? null,
    transport: t?.transport ?? null, username: t?.username ?? null, domain: t?.domain ?? null, register: t?.register ?? null, callerId: t?.callerId ?? null,
    authUsername: t?.authUsername ?? null, keepalive: t?.keepaliveS ?? null, tlsCa: t?.tlsCaFile ?? null,
  };
}
