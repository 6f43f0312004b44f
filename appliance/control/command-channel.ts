import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplianceError } from '../../system/errors/index.ts';
import { errorResponse, json } from '../web/http.ts';

/**
 * The local admin command channel to a running control section (the CLI's `peer hand-off`,
 * `peer take-back`, `peer status`): HTTP on the web port, authorised by a random token the
 * control section writes to `<data_dir>/control.token` (mode 0600) at start, so only someone
 * who can read the data directory can use it.
 */
export const CONTROL_TOKEN_FILE = 'control.token';
export const CONTROL_TOKEN_HEADER = 'x-control-token';

/**
 * Creates a fresh token file (0600) and returns the token. The old file is removed first and
 * the new one created exclusively with its mode, so the token is never in a file another local
 * user could read, not even for a moment (writeFileSync's mode applies only on creation).
 */
export function writeControlToken(dataDir: string): string {
  const token = randomBytes(24).toString('hex');
  const path = join(dataDir, CONTROL_TOKEN_FILE);
  rmSync(path, { force: true });
  writeFileSync(path, token, { mode: 0o600, flag: 'wx' });
  return token;
}

/** Reads the token a running control section wrote. */
export function readControlToken(dataDir: string): string {
  return readFileSync(join(dataDir, CONTROL_TOKEN_FILE), 'utf8').trim();
}

/** Route handlers for the command channel. */
export function commandChannelRoutes(token: string, commands: {
  handOff(peer?: string): Promise<{ ok: boolean; message: string }>;
  takeBack(): Promise<{ ok: boolean; message: string }>;
  /** The situation switch (CLI `peer evacuate`, `peer return`). */
  situation(on: boolean, reason: string): Promise<{ ok: boolean; message: string }>;
  /** The CLI changed the store (e.g. removed an extension): tell every worker now. */
  storeChanged(): unknown;
  status(): unknown;
  /** The trunks' states (CLI `trunk list`). */
  trunks(): unknown;
  /** Re-read the config file and apply it (CLI `reload`). */
  reload(): Promise<unknown>;
  /** New workers from the code on disk, the old ones drained (CLI `upgrade`). */
  upgrade(): Promise<unknown>;
  /** The policy settings (CLI `policy show`), or a run-time edit of the group's (`policy set`, `policy reset`): `{ changes }`. */
  policy(changes: unknown): unknown;
}): Record<string, (req: Request) => Promise<Response>> {
  const guard = (run: (body: Record<string, unknown>) => Promise<unknown> | unknown) => async (req: Request) => {
    const given = Buffer.from(req.headers.get(CONTROL_TOKEN_HEADER) ?? '');
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return errorResponse(new ApplianceError('unauthenticated', 'bad control token'));
    if (req.method !== 'POST') return errorResponse(new ApplianceError('method-not-allowed', 'the command channel takes POST only'));
    const body = (await req.json().catch(() => ({}))) as Record<string, unknown>;
    return json(await run(body));
  };
  return {
    '/control/hand-off': guard((b) => commands.handOff(typeof b.peer === 'string' ? b.peer : undefined)),
    '/control/take-back': guard(() => commands.takeBack()),
    '/control/situation': guard((b) => commands.situation(b.on === true, typeof b.reason === 'string' ? b.reason : '')),
    '/control/status': guard(() => commands.status()),
    '/control/store-changed': guard(() => commands.storeChanged()),
    '/control/trunks': guard(() => commands.trunks()),
    '/control/reload': guard(() => commands.reload()),
    '/control/upgrade': guard(() => commands.upgrade()),
    '/control/policy': guard((b) => commands.policy(b.changes)),
  };
}
