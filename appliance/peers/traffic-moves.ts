import type { EventKind } from '../../system/log/event-kinds.ts';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandOffWindowConfig } from '../../system/config/index.ts';
import { lastMatch } from '../../system/schedule/schedule.ts';
import type { HandOffCause, HandOffRequest, HandOffResult, HandOffStatus } from './hand-off.ts';

/** The admin's "evacuate this box" switch while it is on. */
export interface Situation {
  readonly reason: string;
  /** Epoch ms it was switched on. */
  readonly since: number;
  /** Who switched it on: `api` (web UI / API), `cli`. */
  readonly by: string;
}

/** A schedule window now open. */
export interface OpenWindow {
  /** Index of its `[[control.hand_off_schedule]]` entry. */
  readonly entry: number;
  readonly start: number;
  readonly end: number;
  readonly peer?: string;
  /** The admin took the traffic back during it: not handed off again until the next start. */
  readonly dismissed: boolean;
}

/** What `GET /api/peers` and `peer status` show of the moves. */
export interface TrafficMovesStatus {
  readonly situation: Situation | null;
  readonly window: OpenWindow | null;
}

/** The hand-off owner as the moves use it (hand-off.ts, through the peer service). */
export interface HandOffOwner {
  readonly status: HandOffStatus;
  handOff(req: HandOffRequest): Promise<HandOffResult>;
  takeBack(cause: HandOffCause): Promise<HandOffResult>;
}

export interface TrafficMovesDeps {
  readonly handOffs: HandOffOwner;
  /** Peers are configured (without any, there is nowhere to evacuate to). */
  hasPeers(): boolean;
  /** The schedule entries now (a reload may change them). */
  windows(): readonly HandOffWindowConfig[];
  /** Where the situation switch is kept across restarts (`<data_dir>/situation.json`). */
  readonly dataDir: string;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  readonly now?: () => number;
}

/** How long after a failed attempt a schedule or the situation asks the peers again. */
export const MOVE_RETRY_MS = 10_000;
/** Longest reason text kept. */
export const MAX_REASON = 200;
const SITUATION_FILE = 'situation.json';

/**
 * Hand-off by schedule and by situation (issue 19): holds what the admin and the schedule want
 * (the situation switch, the window now open) and brings the one hand-off owner (hand-off.ts)
 * to it: hand off at a window's start or when the switch goes on, let go at the window's end or
 * when it goes off. It never writes the hand-off state itself; a hand-off that failed or a peer
 * that went down is asked again on the next `tick` (every heartbeat), `MOVE_RETRY_MS` apart.
 */
export class TrafficMoves {
  private situation: Situation | null;
  private window: OpenWindow | null = null;
  private endTimer?: ReturnType<typeof setTimeout>;
  private readonly lastTry = new Map<'schedule' | 'situation', number>();
  private readonly lastRefusal = new Map<'schedule' | 'situation', string>();
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly d: TrafficMovesDeps) {
    this.situation = readSituation(d.dataDir);
  }

  get status(): TrafficMovesStatus {
    return { situation: this.situation, window: this.window };
  }

  /**
   * At start: a window that began before a restart and has not ended yet is open again (the
   * latest start within each entry's duration); the situation switch was read from its file.
   */
  resume(): Promise<void> {
    this.openCurrent('resumed after a restart');
    if (this.situation) this.d.log('peer.situation', `evacuation still switched on after a restart (${this.situation.reason})`, { on: true, ...this.situation });
    return this.reconcile(true);
  }

  /** A schedule entry's start (its cron job): the window opens (or is extended) and the traffic moves. */
  windowStart(entry: number): Promise<void> {
    const w = this.d.windows()[entry];
    if (!w) return Promise.resolve();
    this.open(entry, this.now(), w, 'scheduled start');
    return this.reconcile(true);
  }

  /** The admin's switch: on hands new traffic to a peer until it is switched off. */
  async setSituation(on: boolean, reason: string, by: string): Promise<HandOffResult> {
    if (on) {
      if (!this.d.hasPeers()) return { ok: false, message: 'no peers configured ([[peers]]): there is nowhere to evacuate to' };
      const text = reason.trim();
      if (text.length === 0) return { ok: false, message: 'a reason is required to evacuate' };
      if (text.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(text)) return { ok: false, message: `the reason must be one line of at most ${MAX_REASON} characters` };
      this.situation = { reason: text, since: this.now(), by };
      this.d.log('peer.situation', `evacuate this box switched on by ${by}: ${text}`, { on: true, reason: text, by });
    } else {
      if (!this.situation) return { ok: false, message: 'the situation switch is off' };
      this.d.log('peer.situation', `evacuate this box switched off by ${by}${reason.trim() ? `: ${reason.trim().slice(0, MAX_REASON)}` : ''}`, { on: false, by, was: this.situation.reason });
      this.situation = null;
    }
    writeSituation(this.d.dataDir, this.situation);
    await this.reconcile(true);
    const s = this.d.handOffs.status;
    if (on) return s.holds.includes('situation') ? { ok: true, message: `evacuating: new traffic handed off to ${s.to}` } : { ok: true, message: `evacuation switched on; no peer took over yet (${s.lastFailure ?? 'asked again shortly'})` };
    return { ok: true, message: s.to ? `evacuation switched off; still handed off to ${s.to} (${s.holds.join(', ')})` : 'evacuation switched off: serving new traffic here' };
  }

  /** The hand-off owner let go of `causes` (`by` the admin's take-back, or the peer went down). */
  released(causes: readonly HandOffCause[], by: HandOffCause | 'peer-down'): void {
    if (by === 'admin' && causes.includes('schedule') && this.window) {
      this.window = { ...this.window, dismissed: true };
      this.d.log('peer.schedule', `the admin took the traffic back: schedule window ${this.window.entry} stays here until ${new Date(this.window.end).toISOString()}`, { entry: this.window.entry });
    }
    // A peer down: the next tick asks the others at once.
    if (by === 'peer-down') this.lastTry.clear();
  }

  /** Every heartbeat: a window past its end closes; what failed or was lost is asked again. */
  tick(): Promise<void> {
    return this.reconcile(false);
  }

  /**
   * A reload changed the entries: a window whose entry is gone or names another peer closes
   * (its hold let go at once); an entry whose window would be open now opens, as after a
   * restart (so a window added or moved to now hands off at once, to the entry's peer).
   */
  rescheduled(): Promise<void> {
    const w = this.window;
    const now = this.d.windows()[w?.entry ?? -1];
    if (w && (!now || now.peer !== w.peer)) this.close('its schedule entry changed');
    const opened = this.openCurrent('its schedule entry changed by a reload');
    return this.reconcile(opened);
  }

  stop(): void {
    clearTimeout(this.endTimer);
  }

  /** Opens the window of each entry whose latest start (at most a day back) is within its duration now; says if one opened. */
  private openCurrent(why: string): boolean {
    const now = this.now();
    let opened = false;
    this.d.windows().forEach((w, entry) => {
      const start = lastMatch(w.schedule, new Date(now), w.durationSeconds * 1000)?.getTime();
      if (start !== undefined && start + w.durationSeconds * 1000 > now) opened = this.open(entry, start, w, why) || opened;
    });
    return opened;
  }

  private open(entry: number, start: number, w: HandOffWindowConfig, why: string): boolean {
    const end = start + w.durationSeconds * 1000;
    if (this.window && this.window.end >= end) return false;
    this.window = { entry, start: this.window?.start ?? start, end, ...(w.peer !== undefined ? { peer: w.peer } : {}), dismissed: false };
    this.d.log('peer.schedule', `schedule window ${entry} open until ${new Date(end).toISOString()} (${why})`, { entry, start, end, peer: w.peer ?? null });
    clearTimeout(this.endTimer);
    this.endTimer = setTimeout(() => void this.reconcile(false), Math.max(0, end - this.now()));
    return true;
  }

  private close(why: string): void {
    if (!this.window) return;
    this.d.log('peer.schedule', `schedule window ${this.window.entry} closed (${why})`, { entry: this.window.entry });
    this.window = null;
    clearTimeout(this.endTimer);
  }

  /** One at a time: brings the hand-off to what the switch and the window want. */
  private reconcile(fresh: boolean): Promise<void> {
    this.running = this.running.then(() => this.step(fresh)).catch((err) => this.d.log('peer.schedule.error', `traffic move failed: ${(err as Error).message}`));
    return this.running;
  }

  private async step(fresh: boolean): Promise<void> {
    const now = this.now();
    if (this.window && this.window.end <= now) this.close('its end');
    await this.bring('situation', this.situation !== null, undefined, fresh);
    await this.bring('schedule', this.window !== null && !this.window.dismissed, this.window?.peer, fresh);
  }

  private async bring(cause: 'schedule' | 'situation', want: boolean, peer: string | undefined, fresh: boolean): Promise<void> {
    const s = this.d.handOffs.status;
    const holding = s.holds.includes(cause);
    if (!want) {
      if (holding) await this.d.handOffs.takeBack(cause);
      return;
    }
    if (holding || s.pending) return;
    const last = this.lastTry.get(cause);
    if (!fresh && last !== undefined && this.now() - last < MOVE_RETRY_MS) return;
    this.lastTry.set(cause, this.now());
    const r = await this.d.handOffs.handOff({ cause, ...(peer !== undefined ? { peer } : {}) });
    if (r.ok) {
      this.lastTry.delete(cause);
      this.lastRefusal.delete(cause);
    } else if (this.lastRefusal.get(cause) !== r.message) {
      // Logged when the answer changes, not on every retry of a long window with no peer.
      this.lastRefusal.set(cause, r.message);
      this.d.log(`peer.${cause}`, `${cause}: no hand-off yet (${r.message}); asked again every ${MOVE_RETRY_MS / 1000} s`, { ok: false });
    }
  }

  private now(): number {
    return this.d.now ? this.d.now() : Date.now();
  }
}

function readSituation(dataDir: string): Situation | null {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, SITUATION_FILE), 'utf8')) as Partial<Situation> | null;
    return v && typeof v.reason === 'string' && typeof v.since === 'number' ? { reason: v.reason.slice(0, MAX_REASON), since: v.since, by: String(v.by ?? '?') } : null;
  } catch {
    return null;
  }
}

/** Written whole (a temporary file renamed over it), so a crash leaves the old or the new switch. */
function writeSituation(dataDir: string, s: Situation | null): void {
  const path = join(dataDir, SITUATION_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(s), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
