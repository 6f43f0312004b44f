import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { openStore, type Store } from '../../../system/store/index.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { RingGroupService } from '../../../appliance/admin/ring-group-service.ts';
import { CallFeaturesService } from '../../../appliance/admin/call-features-service.ts';
import { exportConfiguration, parseBackupDocument } from '../../../appliance/admin/backup-document.ts';
import { applyConfiguration } from '../../../appliance/admin/backup-restore.ts';
import { voicemailUriCheck } from '../../../appliance/admin/voicemail-uri-check.ts';

/** Ring groups and forwarding/DND in backups (issue 15): kept, restored through the CLI's validation. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fresh(): { store: Store; config: ReturnType<typeof parseConfig> } {
  const dir = mkdtempSync(join(tmpdir(), 'backup-groups-'));
  dirs.push(dir);
  const config = parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.1"\ndomain = "office.lan"\n`, 'test');
  return { store: openStore(dir), config };
}

function seeded() {
  const a = fresh();
  const ext = new ExtensionService(a.store, 'office.lan');
  for (const n of ['201', '202', '203']) ext.add({ number: n, password: `Quiet-Lamp-${n}7` });
  const groups = new RingGroupService(a.store);
  // 600 falls back to 601, listed after it: the restore must cope with the order.
  groups.add({ number: '601', members: ['203'], callClass: 'local', maxOutsideCalls: 1, outsideCallsPerHour: 5 });
  groups.add({ number: '600', name: 'Reception', strategy: 'hunt', members: ['201', '202'], ringSeconds: 10, timeoutSeconds: 40, fallback: '601' });
  const f = new CallFeaturesService(a.store);
  f.forward('201', 'noanswer', '600', 25);
  f.forward('202', 'busy', '203');
  f.dnd('203', true);
  new CallFeaturesService(a.store, undefined, voicemailUriCheck(a.config, a.store)).voicemail('202', 'sip:vm202@192.0.2.50:5070');
  return a;
}

describe('backups with ring groups and forwarding', () => {
  test('export → JSON → restore on another appliance gives the same groups and features', () => {
    const a = seeded();
    const doc = parseBackupDocument(JSON.stringify(exportConfiguration(a.store, a.config, false)), false);
    expect(doc.ringGroups.map((g) => g.number)).toEqual(['600', '601']);
    const b = fresh();
    applyConfiguration(b.store, b.config, doc);
    const strip = (s: Store) => s.ringGroups.list().map(({ createdAt: _c, updatedAt: _u, ...g }) => g);
    expect(strip(b.store)).toEqual(strip(a.store));
    expect(b.store.callFeatures.list()).toEqual(a.store.callFeatures.list());
    // The group's outside permissions and 202's own voicemail server came along (issue 15).
    expect(b.store.ringGroups.get('601')).toMatchObject({ callClass: 'local', maxOutsideCalls: 1, outsideCallsPerHour: 5 });
    expect(b.store.callFeatures.get('202').voicemailUri).toBe('sip:vm202@192.0.2.50:5070');
    a.store.close();
    b.store.close();
  });

  const hostile: [string, (d: Record<string, any>) => void, RegExp][] = [
    ['a fallback to nowhere', (d) => { d.ringGroups[0].fallback = '699'; }, /ring group 1 \("600"\).*neither an extension nor a ring group/],
    ['a member that is not an extension', (d) => { d.ringGroups[1].members = ['299']; }, /ring group 2 \("601"\).*member "299"/],
    ['a forward to a URI', (d) => { d.callFeatures[0].forwardNoAnswer = 'sip:x@e.io'; }, /call features 1 \("201"\)/],
    ['an unknown field', (d) => { d.ringGroups[0].script = 'x'; }, /unknown field "script"/],
    ['a voicemail URI at our own domain', (d) => { d.callFeatures.find((f: { extension: string }) => f.extension === '202').voicemailUri = 'sip:201@office.lan'; }, /call features \d \("202"\).*own domain/],
    ['a call class that does not exist', (d) => { d.ringGroups[1].callClass = 'free'; }, /ring group 2 \("601"\).*call class/],
    ['members as a string', (d) => { d.ringGroups[0].members = '201'; }, /"members" must be a list/],
  ];
  for (const [what, spoil, err] of hostile) {
    test(`refuses ${what}, naming the row; nothing changes`, () => {
      const a = seeded();
      const raw = JSON.parse(JSON.stringify(exportConfiguration(a.store, a.config, false)));
      spoil(raw);
      const b = seeded();
      const before = [b.store.ringGroups.list(), b.store.callFeatures.list(), b.store.extensions.list().length];
      expect(() => applyConfiguration(b.store, b.config, parseBackupDocument(JSON.stringify(raw), false))).toThrow(err);
      expect([b.store.ringGroups.list(), b.store.callFeatures.list(), b.store.extensions.list().length]).toEqual(before);
      a.store.close();
      b.store.close();
    });
  }

  test('an older backup without these sections restores with none', () => {
    const a = seeded();
    const raw = JSON.parse(JSON.stringify(exportConfiguration(a.store, a.config, false)));
    delete raw.ringGroups;
    delete raw.callFeatures;
    const b = fresh();
    applyConfiguration(b.store, b.config, parseBackupDocument(JSON.stringify(raw), false));
    expect(b.store.ringGroups.list()).toEqual([]);
    expect(b.store.extensions.list()).toHaveLength(3);
    a.store.close();
    b.store.close();
  });
});
