import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { openStore } from '../../../system/store/index.ts';

/** `group ...`, `extension forward|dnd` through the real CLI entry against a temp data dir (issue 15). */
const dir = mkdtempSync(join(tmpdir(), 'appliance-cli-groups-'));
const configFile = join(dir, 'appliance.toml');
writeFileSync(configFile, `data_dir = "${join(dir, 'data')}"\n[sip]\nlisten = "192.168.1.10"\ndomain = "office.lan"\n[emergency]\nnumbers = ["112"]\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--config', configFile, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(() => {
  const store = openStore(join(dir, 'data'));
  try {
    const s = new ExtensionService(store, 'office.lan');
    for (const n of ['201', '202', '203']) s.add({ number: n, password: `Quiet-Lamp-${n}7` });
  } finally {
    store.close();
  }
});

describe('group CLI', () => {
  test('add, list, members, remove', async () => {
    expect(await cli('group', 'add', '600', '--members', '201,202', '--name', 'Reception')).toEqual({ code: 0, out: 'added ring group 600\tReception\tring-all\t60 s\tmembers=201,202\tfallback=-\toutside=national,2 at once,30/h', err: '' });
    expect((await cli('group', 'add', '601', '--members', '203', '--strategy', 'hunt', '--ring', '10', '--timeout', '30', '--fallback', '600')).code).toBe(0);
    expect((await cli('group', 'members', '600', '203,201')).out).toContain('members=203,201');
    expect(await cli('group', 'list')).toEqual({
      code: 0, err: '',
      out: '600\tReception\tring-all\t60 s\tmembers=203,201\tfallback=-\toutside=national,2 at once,30/h\n601\t-\thunt\t10 s each, 30 s in all\tmembers=203\tfallback=600\toutside=national,2 at once,30/h',
    });
    // Still the fallback of 601: refused, naming who uses it.
    expect(await cli('group', 'remove', '600')).toMatchObject({ code: 1, err: expect.stringMatching(/still used by group 601 \(fallback\)/) });
    expect((await cli('group', 'remove', '601')).code).toBe(0);
    expect((await cli('group', 'remove', '600')).code).toBe(0);
    expect((await cli('group', 'list')).out).toBe('no ring groups');
  });

  const refused: [string, string[], RegExp][] = [
    ['a number with letters', ['group', 'add', '6a0', '--members', '201'], /invalid ring group number "6a0"/],
    ['an extension number', ['group', 'add', '201', '--members', '202'], /is an extension/],
    ['an emergency number', ['group', 'add', '112', '--members', '202'], /emergency number/],
    ['an unknown member', ['group', 'add', '610', '--members', '201,299'], /member "299" is not an extension/],
    ['a member twice', ['group', 'add', '610', '--members', '201,201'], /listed twice/],
    ['an unknown strategy', ['group', 'add', '610', '--members', '201', '--strategy', 'random'], /invalid strategy "random"/],
    ['a ring time too short', ['group', 'add', '610', '--members', '201', '--ring', '1'], /ringSeconds must be/],
    ['a fallback to itself', ['group', 'add', '610', '--members', '201', '--fallback', '610'], /fall back to itself/],
    ['a fallback nowhere', ['group', 'add', '610', '--members', '201', '--fallback', 'sip:evil@example.com'], /neither an extension nor a ring group/],
    ['an outside member no route takes (no trunks here)', ['group', 'add', '610', '--members', '201,912125551234'], /member "912125551234" is not an extension, and as an outside number: no route of the dial plan takes it/],
    ['an emergency number as a member', ['group', 'add', '610', '--members', '201,112'], /emergency number cannot be a group member/],
    ['a call class that does not exist', ['group', 'add', '610', '--members', '201', '--class', 'free'], /call class must be one of/],
    ['a limit that is not a number', ['group', 'add', '610', '--members', '201', '--per-hour', 'lots'], /--per-hour needs a whole number/],
    ['SQL in a member', ['group', 'add', '610', '--members', "201');DROP TABLE extensions;--"], /is not an extension/],
    ['header injection in the name', ['group', 'add', '610', '--members', '201', '--name', 'x'.repeat(65)], /longer than 64/],
  ];
  for (const [what, argv, err] of refused) {
    test(`refuses ${what}, naming the field`, async () => {
      const r = await cli(...argv);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(err);
    });
  }

  test('nothing refused was stored, and the extensions table is intact', async () => {
    expect((await cli('group', 'list')).out).toBe('no ring groups');
    expect((await cli('extension', 'list')).out.split('\n')).toHaveLength(3);
  });
});

describe('extension forward / dnd CLI', () => {
  test('set, show and clear', async () => {
    expect((await cli('extension', 'forward', '201', 'always', '202')).out).toBe('extension 201: do-not-disturb off, forward always→202');
    expect((await cli('extension', 'forward', '201', 'noanswer', '203', '--after', '12')).out).toBe('extension 201: do-not-disturb off, forward always→202, noanswer→203 after 12 s');
    expect((await cli('extension', 'dnd', '201', 'on')).out).toBe('extension 201: do-not-disturb on, forward always→202, noanswer→203 after 12 s');
    expect((await cli('extension', 'forward', '201', 'always', 'off')).out).toBe('extension 201: do-not-disturb on, forward noanswer→203 after 12 s');
  });

  test('an own voicemail server: set, shown, cleared; refused at our own domain and address', async () => {
    expect((await cli('extension', 'voicemail', '202', 'sip:vm202@192.0.2.50:5070')).out).toBe('extension 202: do-not-disturb off, forward off, voicemail sip:vm202@192.0.2.50:5070');
    expect(await cli('extension', 'voicemail', '202', 'sip:202@office.lan')).toMatchObject({ code: 1, err: expect.stringMatching(/own domain office\.lan/) });
    expect(await cli('extension', 'voicemail', '202', 'sip:vm@192.168.1.10')).toMatchObject({ code: 1, err: expect.stringMatching(/own SIP address/) });
    expect(await cli('extension', 'voicemail', '202', 'tel:+19005551234')).toMatchObject({ code: 1, err: expect.stringMatching(/SIP URI/) });
    expect((await cli('extension', 'voicemail', '202', 'off')).out).toBe('extension 202: do-not-disturb off, forward off');
  });

  test('a forward target cannot be removed while used', async () => {
    expect(await cli('extension', 'remove', '203')).toMatchObject({ code: 1, err: expect.stringMatching(/still used by extension 201 \(noanswer\)/) });
  });

  const refused: [string, string[], RegExp][] = [
    ['an unknown extension', ['extension', 'dnd', '299', 'on'], /extension 299 does not exist/],
    ['a forward to itself', ['extension', 'forward', '202', 'busy', '202'], /cannot forward to itself/],
    ['an outside number no route takes', ['extension', 'forward', '202', 'busy', '+15551230000'], /no route of the dial plan takes it/],
    ['a URI target', ['extension', 'forward', '202', 'busy', 'sip:x@evil.example'], /neither an extension nor a ring group/],
    ['an unknown kind', ['extension', 'forward', '202', 'sometimes', '201'], /invalid forward "sometimes"/],
    ['--after on always', ['extension', 'forward', '202', 'always', '201', '--after', '10'], /--after is for noanswer only/],
    ['--after out of range', ['extension', 'forward', '202', 'noanswer', '201', '--after', '900'], /from 5 to 120/],
    ['dnd maybe', ['extension', 'dnd', '202', 'maybe'], /on or off/],
  ];
  for (const [what, argv, err] of refused) {
    test(`refuses ${what}`, async () => {
      const r = await cli(...argv);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(err);
    });
  }
});
