import { describe, expect, test } from 'bun:test';
import { commandChannelRoutes, CONTROL_TOKEN_HEADER } from '../../../appliance/control/command-channel.ts';

/**
 * The command channel's guard (attack test): a wrong, missing or shorter/longer token is 401
 * and runs nothing; a GET with the right token is 405; both in the common error shape
 * (web/http.ts errorResponse, statuses from system/errors). The right token runs the command.
 */
const TOKEN = 'a'.repeat(48);

function channel() {
  const ran: string[] = [];
  const ok = (what: string) => async () => {
    ran.push(what);
    return { ok: true, message: what };
  };
  const routes = commandChannelRoutes(TOKEN, {
    handOff: ok('hand-off'), takeBack: ok('take-back'), storeChanged: ok('store-changed'), status: ok('status'),
    trunks: ok('trunks'), reload: ok('reload'), upgrade: ok('upgrade'), situation: ok('situation'), policy: ok('policy'),
  });
  return { routes, ran };
}

const request = (method: string, token: string | undefined) =>
  new Request('https://127.0.0.1/control/status', { method, headers: token === undefined ? {} : { [CONTROL_TOKEN_HEADER]: token } });

describe('command channel guard', () => {
  test.each([
    ['no token', undefined], ['empty', ''], ['wrong, same length', 'b'.repeat(48)], ['a prefix', TOKEN.slice(0, 47)], ['longer', `${TOKEN}a`],
  ])('%p: 401 unauthenticated, nothing runs', async (_what, token) => {
    const c = channel();
    for (const path of Object.keys(c.routes)) {
      const res = await c.routes[path](request('POST', token));
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: 'bad control token' } });
    }
    expect(c.ran).toEqual([]);
  });

  test('the right token with GET: 405 method-not-allowed, nothing runs', async () => {
    const c = channel();
    const res = await c.routes['/control/status'](request('GET', TOKEN));
    expect(res.status).toBe(405);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method-not-allowed');
    expect(c.ran).toEqual([]);
  });

  test('the right token with POST: the command runs and its answer is the reply', async () => {
    const c = channel();
    const res = await c.routes['/control/status'](request('POST', TOKEN));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, message: 'status' });
    expect(c.ran).toEqual(['status']);
  });
});
