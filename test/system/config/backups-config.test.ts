import { describe, expect, test } from 'bun:test';
import { parseConfig } from '../../../system/config/index.ts';

const parse = (backups: string) => parseConfig(`data_dir = "/var/lib/oa"\n[backups]\n${backups}\n`, 'test', '/etc/oa');

describe('[backups]', () => {
  test('absent: no schedule, 7 kept, under the data dir', () => {
    expect(parseConfig('data_dir = "/var/lib/oa"\n', 'test').backups).toEqual({ retention: 7, directory: '/var/lib/oa/backups' });
  });

  test('a schedule with its passphrase file; relative paths from the config file\'s directory', () => {
    expect(parse('schedule = "0 3 * * *"\nretention = 14\ndirectory = "backups"\npassphrase_file = "backup.pass"').backups).toEqual({
      schedule: '0 3 * * *', retention: 14, directory: '/etc/oa/backups', passphraseFile: '/etc/oa/backup.pass',
    });
    expect(parse('schedule = "*/1 * * * * *"\npassphrase_file = "/root/p"').backups.schedule).toBe('*/1 * * * * *');
  });

  test.each([
    ['schedule = "0 3 * * *"', 'backups.passphrase_file: is required with backups.schedule'],
    ['schedule = "61 * * * *"\npassphrase_file = "/p"', 'backups.schedule'],
    ['schedule = "nightly"\npassphrase_file = "/p"', 'backups.schedule'],
    ['schedule = ""\npassphrase_file = "/p"', 'backups.schedule'],
    ['retention = 0', 'backups.retention'],
    ['retention = 5000', 'backups.retention'],
    ['passphrase = "in the config"', 'backups.passphrase: unknown key'],
    ['directory = 7', 'backups.directory'],
  ])('refused, naming the key: %s', (text, key) => {
    expect(() => parse(text)).toThrow(key);
  });
});
