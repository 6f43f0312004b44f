import { ApplianceError, ValidationError } from '../../../system/errors/index.ts';
import type { Store } from '../../../system/store/index.ts';
import { Fields, json, LoginLockedError, readJsonObject } from '../http.ts';
import type { ApiRequest, Route } from '../router.ts';
import { AdminCredentials } from './admin-credentials.ts';
import { LoginLimiter, type LoginLimits } from './login-limiter.ts';
import { isCrossOrigin, isStateChanging } from './request-origin.ts';
import {
  clearedSessionCookie, randomToken, sameToken, sessionCookie, sessionIdFrom, SessionTable, type Session, type SessionLimits,
} from './sessions.ts';

export interface AuthOptions {
  readonly loginLimits?: LoginLimits;
  readonly sessionLimits?: SessionLimits;
  /** How long the first-run setup token stays valid (`[web] setup_token_minutes`). */
  readonly setupTokenMs?: number;
}

/** Default life of the setup token: 30 minutes from start. */
export const DEFAULT_SETUP_TOKEN_MS = 30 * 60_000;

/** `GET /api/session` (public): whether setup is pending and the caller logged in; with a session, its CSRF token and end. */
export interface SessionView {
  readonly setupRequired: boolean;
  readonly authenticated: boolean;
  readonly csrfToken?: string;
  /** When the session ends, ms since the epoch. */
  readonly expiresAt?: number;
}

/**
 * Admin authentication: first-run setup with a one-time token that expires (30 min after start
 * by default; a new one is printed at the next start or made by `renewSetupToken`) and is
 * consumed by the setup that uses it, login (locked per source), logout,
 * sessions in HttpOnly SameSite=Strict cookies, and the CSRF synchronizer token that every
 * state-changing request must echo in `X-CSRF-Token`.
 */
export class WebAuth {
  readonly credentials: AdminCredentials;
  readonly sessions: SessionTable;
  private readonly limiter: LoginLimiter;
  /** The one-time setup token; undefined once a password is set or the token was used. */
  private setupToken: string | undefined;
  private setupTokenExpiresAt = 0;
  private readonly setupTokenMs: number;

  constructor(private readonly store: Store, opts: AuthOptions = {}) {
    this.credentials = new AdminCredentials(store);
    this.sessions = new SessionTable(opts.sessionLimits);
    this.limiter = new LoginLimiter(opts.loginLimits);
    this.setupTokenMs = opts.setupTokenMs ?? DEFAULT_SETUP_TOKEN_MS;
    if (!this.credentials.isSet) this.renewSetupToken();
  }

  /** The token to print on the console at start, while setup is pending and it is valid. */
  get pendingSetupToken(): string | undefined {
    return this.credentials.isSet || Date.now() >= this.setupTokenExpiresAt ? undefined : this.setupToken;
  }

  /** When the pending setup token expires (ms since the epoch), while there is one. */
  get setupTokenExpiry(): number | undefined {
    return this.pendingSetupToken ? this.setupTokenExpiresAt : undefined;
  }

  /** A fresh setup token (the old one stops working); undefined when a password is set already. */
  renewSetupToken(now = Date.now()): string | undefined {
    if (this.credentials.isSet) return undefined;
    this.setupToken = randomToken();
    this.setupTokenExpiresAt = now + this.setupTokenMs;
    return this.setupToken;
  }

  /**
   * The gate every API request passes: cross-origin state changes are refused (403), then a
   * non-public route needs a live session (401) and, when it changes state, the session's
   * CSRF token (403).
   */
  gate(req: Request, isPublic: boolean): Session | undefined {
    const changing = isStateChanging(req.method);
    if (changing && isCrossOrigin(req)) throw new ApplianceError('forbidden', 'cross-site request refused');
    const session = this.sessions.get(sessionIdFrom(req));
    if (isPublic) return session;
    if (!session) throw new ApplianceError('unauthenticated', 'log in first');
    if (changing && !sameToken(req.headers.get('x-csrf-token') ?? '', session.csrfToken)) {
      throw new ApplianceError('forbidden', 'missing or wrong CSRF token: reload the page');
    }
    return session;
  }

  routes(): Route[] {
    return [
      { method: 'GET', path: '/api/session', public: true, handler: (c) => this.describe(c) },
      { method: 'POST', path: '/api/setup', public: true, handler: (c) => this.setup(c) },
      { method: 'POST', path: '/api/login', public: true, handler: (c) => this.login(c) },
      { method: 'POST', path: '/api/logout', handler: (c) => this.logout(c) },
      { method: 'POST', path: '/api/password', handler: (c) => this.changePassword(c) },
    ];
  }

  private describe({ session }: ApiRequest): Response {
    const reply: SessionView = {
      setupRequired: !this.credentials.isSet,
      authenticated: session !== undefined,
      ...(session ? { csrfToken: session.csrfToken, expiresAt: session.createdAt + this.sessions.cookieMaxAge * 1000 } : {}),
    };
    return json(reply);
  }

  private async setup({ req, client }: ApiRequest): Promise<Response> {
    this.checkLock(client);
    const f = new Fields(await readJsonObject(req), ['token', 'password']);
    const token = f.string('token', { required: true })!;
    const password = f.string('password', { required: true, max: 256 })!;
    if (this.credentials.isSet) throw new ApplianceError('conflict', 'setup is done already: log in');
    if (!this.setupToken) throw new ApplianceError('forbidden', 'no valid setup token: restart the appliance to get a new one');
    if (!sameToken(token, this.setupToken)) {
      this.limiter.failed(client);
      throw new ApplianceError('forbidden', 'wrong setup token: use the one printed on the appliance console');
    }
    if (Date.now() >= this.setupTokenExpiresAt) {
      this.setupToken = undefined;
      throw new ApplianceError('forbidden', 'the setup token has expired: restart the appliance to get a new one');
    }
    // Single use: the token is gone before the (slow) hash, so a second request racing this
    // one finds no token. A weak password gives it back, as nothing was set.
    const used = this.setupToken;
    this.setupToken = undefined;
    let won: boolean;
    try {
      won = await this.credentials.setInitial(password);
    } catch (err) {
      if (!this.credentials.isSet && this.setupToken === undefined) this.setupToken = used;
      throw err;
    }
    if (!won) throw new ApplianceError('conflict', 'setup is done already: log in');
    this.store.events.append('admin.setup', 'admin password set (first-run setup)', { client });
    return this.startSession(req, 201);
  }

  private async login({ req, client }: ApiRequest): Promise<Response> {
    this.checkLock(client);
    const f = new Fields(await readJsonObject(req), ['password']);
    const password = f.string('password', { required: true, max: 256 })!;
    if (!this.credentials.isSet) throw new ApplianceError('conflict', 'no admin password yet: complete first-run setup');
    if (!(await this.credentials.verify(password))) {
      this.limiter.failed(client);
      this.store.events.append('admin.login.failed', `admin login failed from ${client}`, { client });
      throw new ApplianceError('unauthenticated', 'wrong password');
    }
    this.limiter.succeeded(client);
    this.store.events.append('admin.login', `admin logged in from ${client}`, { client });
    return this.startSession(req, 200);
  }

  private logout({ req, session, client }: ApiRequest): Response {
    if (session) {
      this.sessions.end(session.id, 'logged-out');
      this.store.events.append('admin.logout', 'admin logged out', { client });
    }
    return json({ ok: true }, 200, { 'Set-Cookie': clearedSessionCookie(isHttps(req)) });
  }

  private async changePassword({ req, session, client }: ApiRequest): Promise<Response> {
    const f = new Fields(await readJsonObject(req), ['current', 'password']);
    const current = f.string('current', { required: true, max: 256 })!;
    const password = f.string('password', { required: true, max: 256 })!;
    if (!(await this.credentials.verify(current))) throw new ValidationError('the current password is wrong', 'current');
    await this.credentials.change(password);
    // Every other session ends: whoever knew the old password is out.
    this.sessions.endAll('password-changed');
    this.store.events.append('admin.password', 'admin password changed: every other session ended', { client });
    void session;
    return this.startSession(req, 200);
  }

  private checkLock(client: string): void {
    const wait = this.limiter.waitMs(client);
    if (wait > 0) throw new LoginLockedError(Math.ceil(wait / 1000));
  }

  private startSession(req: Request, status: number): Response {
    const s = this.sessions.create();
    return json({ authenticated: true, csrfToken: s.csrfToken }, status, {
      'Set-Cookie': sessionCookie(s.id, this.sessions.cookieMaxAge, isHttps(req)),
    });
  }
}

function isHttps(req: Request): boolean {
  return new URL(req.url).protocol === 'https:';
}
