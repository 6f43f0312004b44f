import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocationView } from '../../../../appliance/sip/registrar/location-view.ts';
import { openStore, type BindingRecord, type RegistrationsStore } from '../../../../system/store/index.ts';

/** Group commit (issue 12): a change made here is reported committed only once it is in the store. */
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'location-view-'));
  dirs.push(dir);
  return openStore(dir);
}
const NOW = Date.now();
const binding = (n: number): BindingRecord => ({
  aor: `sip:${n}@office.lan`, contact: `sip:${n}@127.0.0.1:${5000 + n}`, expiresAt: NOW + 600_000, q: 1, callId: `c${n}`, cseq: 1,
  source: `udp:127.0.0.1:${5000 + n}`, transport: 'udp', userAgent: 'test', version: NOW, updatedAt: NOW,
});

describe('LocationView group commit', () => {
  test('committed is called after the row is in the store; a burst shares one flush', async () => {
    const store = fresh();
    let writes = 0;
    const counting: RegistrationsStore = Object.create(store.registrations);
    counting.apply = (batch) => { writes++; return store.registrations.apply(batch); };
    const view = new LocationView(counting);
    const seen: [number, boolean, boolean][] = [];
    for (const n of [1, 2, 3]) {
      view.applyLocal([{ kind: 'upsert', binding: binding(n) }], (ok) => {
        seen.push([n, ok, store.registrations.loadActive().some((b) => b.aor === binding(n).aor)]);
      });
    }
    expect(seen).toEqual([]); // not before the commit
    await Bun.sleep(20);
    expect(seen).toEqual([[1, true, true], [2, true, true], [3, true, true]]);
    expect(writes).toBe(1);
    view.close();
    store.close();
  });
  test('a failed write is reported (the registrar answers 500, not 200), and the others are still told', async () => {
    const store = fresh();
    const failing: RegistrationsStore = Object.create(store.registrations);
    failing.apply = () => { throw new Error('disk full'); };
    const view = new LocationView(failing);
    const seen: boolean[] = [];
    view.applyLocal([{ kind: 'upsert', binding: binding(1) }], (ok) => { seen.push(ok); throw new Error('a waiter that throws'); });
    view.applyLocal([{ kind: 'upsert', binding: binding(2) }], (ok) => seen.push(ok));
    await Bun.sleep(20);
    expect(seen).toEqual([false, false]);
    store.close();
  });
  test('the others are told once per flush, after the store has the rows and before any REGISTER is answered', async () => {
    const store = fresh();
    const view = new LocationView(store.registrations);
    const order: string[] = [];
    view.onLocalChange = (changes) => {
      const rows = store.registrations.loadActive();
      const stored = changes.every((c) => (c.kind === 'upsert' ? rows.some((b) => b.contact === c.binding.contact) : !rows.some((b) => b.contact === c.contact)));
      order.push(`told ${changes.length} (stored: ${stored})`);
    };
    for (const n of [1, 2, 3]) view.applyLocal([{ kind: 'upsert', binding: binding(n) }], () => order.push(`answered ${n}`));
    view.applyLocal([{ kind: 'upsert', binding: binding(4) }]);
    expect(order).toEqual([]);
    await Bun.sleep(20);
    expect(order).toEqual(['told 4 (stored: true)', 'answered 1', 'answered 2', 'answered 3']);
    // A change without a waiter goes with the later (25 ms) flush, told then too.
    view.applyLocal([{ kind: 'remove', aor: binding(4).aor, contact: binding(4).contact, version: NOW + 1 }]);
    await Bun.sleep(60);
    expect(order.at(-1)).toBe('told 1 (stored: true)');
    view.close();
    store.close();
  });
  test('no change: committed at once', () => {
    const store = fresh();
    const view = new LocationView(store.registrations);
    let told: boolean | undefined;
    view.applyLocal([], (ok) => (told = ok));
    expect(told).toBe(true);
    store.close();
  });
  test('a retransmission answered again: a binding already stored is not rewritten; one a dead sibling told before its commit is written', async () => {
    const store = fresh();
    let batches: number[] = [];
    const counting: RegistrationsStore = Object.create(store.registrations);
    counting.apply = (batch) => { batches.push(batch.length); return store.registrations.apply(batch); };
    const view = new LocationView(counting);
    view.applyLocal([{ kind: 'upsert', binding: binding(1) }]);
    view.flush();
    // Binding 2 came from a sibling (replicated before its batch committed) and never reached the store.
    view.applyRemote([{ kind: 'upsert', binding: binding(2) }]);
    batches = [];
    const told: boolean[] = [];
    view.ensureStored(view.bindings(binding(1).aor), (ok) => told.push(ok));
    expect(told).toEqual([true]); // stored already: at once, nothing written
    expect(batches).toEqual([]);
    view.ensureStored(view.bindings(binding(2).aor), (ok) => told.push(ok && store.registrations.loadActive().some((b) => b.aor === binding(2).aor)));
    expect(told).toEqual([true]); // not before the commit
    await Bun.sleep(20);
    expect(told).toEqual([true, true]);
    expect(batches).toEqual([1]);
    expect(store.registrations.loadActive().find((b) => b.aor === binding(2).aor)?.version).toBe(NOW);
    // This worker has the phone's flow now: it pings it.
    expect(view.localBindings().map((b) => b.aor).sort()).toEqual([binding(1).aor, binding(2).aor]);
    view.close();
    store.close();
  });
});
