import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreWatch } from '../../../appliance/connection-control/store-watch.ts';
import { openStore, type Store } from '../../../system/store/index.ts';

/** The one detector of store changes in a worker: a message or another connection's commit, one refresh each. */
const POLL_MS = 20;
let dir: string;
let store: Store;
let watch: StoreWatch | undefined;

function setUp(refresh: () => void, log?: (line: string) => void) {
  dir = mkdtempSync(join(tmpdir(), 'store-watch-'));
  store = openStore(dir);
  watch = new StoreWatch(store, refresh, log, POLL_MS);
  return watch;
}

/** Another process's write (the admin CLI): its own connection. */
function commitElsewhere(n: string) {
  const other = openStore(dir);
  other.dnsRecords.add({ name: `host-${n}`, type: 'A', value: '192.168.1.9', ttl: null });
  other.close();
}

afterEach(() => {
  watch?.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('store watch', () => {
  test('nothing changed: no refresh', async () => {
    let runs = 0;
    setUp(() => runs++);
    await Bun.sleep(POLL_MS * 5);
    expect(runs).toBe(0);
  });

  test('another connection commits: one refresh at the next poll', async () => {
    let runs = 0;
    setUp(() => runs++);
    commitElsewhere('a');
    const until = Date.now() + 2_000;
    while (runs === 0 && Date.now() < until) await Bun.sleep(5);
    await Bun.sleep(POLL_MS * 3);
    expect(runs).toBe(1);
  });

  test('told by the control section: refresh now, and the poll does not refresh the same change again', async () => {
    let runs = 0;
    const w = setUp(() => runs++);
    commitElsewhere('b');
    w.changed();
    expect(runs).toBe(1);
    await Bun.sleep(POLL_MS * 4);
    expect(runs).toBe(1);
  });

  test("this connection's own commits are not a change from outside", async () => {
    let runs = 0;
    setUp(() => runs++);
    store.dnsRecords.add({ name: 'own', type: 'A', value: '192.168.1.8', ttl: null });
    await Bun.sleep(POLL_MS * 4);
    expect(runs).toBe(0);
  });

  test('a refresh that throws is logged, and the watch goes on', async () => {
    const lines: string[] = [];
    let runs = 0;
    const w = setUp(() => {
      runs++;
      throw new Error('records table gone');
    }, (l) => lines.push(l));
    w.changed();
    commitElsewhere('c');
    const until = Date.now() + 2_000;
    while (runs < 2 && Date.now() < until) await Bun.sleep(5);
    expect(runs).toBe(2);
    expect(lines[0]).toBe('store watch: refresh failed: records table gone');
  });
});
