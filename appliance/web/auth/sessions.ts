import { timingSafeEqual } from 'node:crypto';

/** One admin session: its id lives only in the HttpOnly cookie, its CSRF token in the page. */
export interface Session {
  readonly id: string;
  /** Synchronizer token: every state-changing request must echo it in `X-CSRF-Token`. */
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  /** A session unused for this long ends. */
  readonly idleMs: number;
  /** A session ends this long after login, used or not. */
  readonly absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000 };

export const SESSION_COOKIE = 'appliance_session';

/** 32 random bytes, base64url: unguessable ids and tokens. */
export function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

/** Constant-time string comparison (for tokens). */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Sessions held in memory by the control section: a restart (or a restore) logs the admin out,
 * which is the safe direction. One admin account, so no user field.
 */
/** Why a session ended, for the other tabs of the same browser (the live stream tells them). */
export type EndReason = 'logged-out' | 'password-changed' | 'expired';

/** How many ended sessions are remembered with their reason (oldest forgotten first). */
const ENDED_MEMORY = 200;

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly endedWhy = new Map<string, EndReason>();

  constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  create(now = Date.now()): Session {
    this.prune(now);
    const s: Session = { id: randomToken(), csrfToken: randomToken(), createdAt: now, lastSeenAt: now };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session with this id (touching it), or undefined when unknown or expired. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.expired(s, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  /** Whether the session is still valid, without touching it (for long-lived streams). */
  alive(s: Session, now = Date.now()): boolean {
    return this.sessions.has(s.id) && !this.expired(s, now);
  }

  end(id: string, reason: EndReason = 'logged-out'): void {
    if (this.sessions.delete(id)) this.remember(id, reason);
  }

  endAll(reason: EndReason = 'logged-out'): void {
    for (const id of this.sessions.keys()) this.remember(id, reason);
    this.sessions.clear();
  }

  /** Why the session `s` is no longer alive: ended on purpose (with the reason), else it expired. */
  endReason(s: Session): EndReason {
    return this.endedWhy.get(s.id) ?? 'expired';
  }

  private remember(id: string, reason: EndReason): void {
    this.endedWhy.set(id, reason);
    if (this.endedWhy.size > ENDED_MEMORY) this.endedWhy.delete(this.endedWhy.keys().next().value!);
  }

  /** Cookie lifetime in seconds (the absolute limit; idle expiry is enforced here). */
  get cookieMaxAge(): number {
    return Math.floor(this.limits.absoluteMs / 1000);
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastSeenAt > this.limits.idleMs || now - s.createdAt > this.limits.absoluteMs;
  }

  private prune(now: number): void {
    for (const [id, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(id);
  }
}

/** The session cookie: HttpOnly (no script reads it), SameSite=Strict (no cross-site sends). */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The session id from a Cookie header. */
export function sessionIdFrom(req: Request): string | undefined {
  const header = req.headers.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return v.join('=') || undefined;
  }
  return undefined;
}
