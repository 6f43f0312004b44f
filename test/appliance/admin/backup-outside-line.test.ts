import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { openStore, type Store } from '../../../system/store/index.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { OutsideLineService } from '../../../appliance/admin/outside-line-service.ts';
import { exportConfiguration, parseBackupDocument } from '../../../appliance/admin/backup-document.ts';
import { applyConfiguration } from '../../../appliance/admin/backup-restore.ts';
import { loadOutsideLine } from '../../../appliance/trunks/outside-line.ts';

/** The outside line added in the store, in backups (issue 14): kept, restored through the CLI's checks; passwords only with secrets. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function fresh(): { store: Store; config: ReturnType<typeof parseConfig> } {
  const dir = mkdtempSync(join(tmpdir(), 'backup-trunks-'));
  dirs.push(dir);
  const config = parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.1"\ndomain = "office.lan"\n`, 'test');
  const store = openStore(dir);
  new ExtensionService(store, 'office.lan').add({ number: '201', password: 'Quiet-Lamp-2017' });
  return { store, config };
}
function seeded() {
  const a = fresh();
  const line = new OutsideLineService(a.store, a.config);
  line.addTrunk({ name: 'provider', registrar: '192.0.2.10', username: '5551230000', password: 'Trunk-Pass-1', callerId: '+15551230000' });
  line.addTrunk({ name: 'gateway', registrar: '192.0.2.20', username: 'office', register: false });
  line.addRoute({ name: 'national', pattern: '^9(1[2-9][0-9]{9})$', replace: '+$1', trunk: 'provider', class: 'national', failover: ['gateway'] });
  line.addInbound({ did: '+15551230100', trunk: 'provider', to: '201' });
  line.setEmergencyTrunk('gateway');
  return a;
}
const summary = (s: Store, c: ReturnType<typeof parseConfig>) => {
  const l = loadOutsideLine({ ...c }, s);
  return { trunks: l.trunks.map((t) => [t.name, t.password]), routes: l.routes.map((r) => [r.name, r.failover]), inbound: l.inbound.map((i) => i.did), emergency: l.emergency.trunk, skipped: l.skipped.map((x) => x.name) };
};

describe('backups with the outside line', () => {
  test('an encrypted backup (secrets) carries the trunk passwords; restored on another appliance: the same line', () => {
    const a = seeded();
    const doc = exportConfiguration(a.store, a.config, true);
    const b = fresh();
    const r = applyConfiguration(b.store, b.config, parseBackupDocument(JSON.stringify(doc), true));
    expect(r.trunksNeedPassword).toEqual([]);
    expect(summary(b.store, b.config)).toEqual({
      trunks: [['provider', 'Trunk-Pass-1'], ['gateway', '']], routes: [['national', ['gateway']]], inbound: ['+15551230100'], emergency: 'gateway', skipped: [],
    });
    a.store.close();
    b.store.close();
  });

  test('a backup without secrets has no password; the trunk is restored and waits for one', () => {
    const a = seeded();
    const text = JSON.stringify(exportConfiguration(a.store, a.config, false));
    expect(text).not.toContain('Trunk-Pass-1');
    const b = fresh();
    const r = applyConfiguration(b.store, b.config, parseBackupDocument(text, false));
    expect(r.trunksNeedPassword).toEqual(['provider']);
    // Left out of the running line (and so its route) until a password is set.
    expect(summary(b.store, b.config).skipped).toEqual(['provider', 'national', null]);
    new OutsideLineService(b.store, b.config).setTrunkPassword('provider', 'Trunk-Pass-2');
    expect(summary(b.store, b.config).skipped).toEqual([]);
    a.store.close();
    b.store.close();
  });

  test('hostile rows reject the whole file naming the row, nothing changed; an older backup restores with none', () => {
    const a = seeded();
    const good = JSON.parse(JSON.stringify(exportConfiguration(a.store, a.config, true)));
    const b = seeded();
    const before = summary(b.store, b.config);
    const cases: [(d: any) => void, RegExp][] = [
      [(d) => { d.outsideLine.routes[0].pattern = '^(9+)+$'; }, /route 1 \("national"\): pattern: .*catastrophic/],
      [(d) => { d.outsideLine.trunks[0].name = '<script>'; }, /trunk 1 .*name/],
      [(d) => { d.outsideLine.inbound[0].to = '999'; }, /inbound number 1: to: 999/],
      [(d) => { d.outsideLine.evil = 1; }, /outsideLine: unknown field "evil"/],
      [(d) => { d.outsideLine.routes = 'x'; }, /outsideLine.routes must be a list/],
    ];
    for (const [spoil, message] of cases) {
      const d = structuredClone(good);
      spoil(d);
      expect(() => applyConfiguration(b.store, b.config, parseBackupDocument(JSON.stringify(d), true))).toThrow(message);
      expect(summary(b.store, b.config)).toEqual(before);
    }
    const plain = JSON.parse(JSON.stringify(exportConfiguration(a.store, a.config, false)));
    plain.outsideLine.trunks[0].password = 'planted';
    expect(() => parseBackupDocument(JSON.stringify(plain), false)).toThrow(/a password in a backup without secrets/);
    delete good.outsideLine;
    const c = fresh();
    applyConfiguration(c.store, c.config, parseBackupDocument(JSON.stringify(good), true));
    expect(c.store.outsideLine.list()).toEqual([]);
    for (const s of [a, b, c]) s.store.close();
  });
});
