import { ApplianceError } from '../../system/errors/index.ts';
import { openStore } from '../../system/store/index.ts';
import { callRecordQuery, callRecordsCsv } from '../admin/call-records-export.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';

const FILTERS = ['--since', '--until', '--extension', '--direction', '--limit'];

/** `calls list|export`: the call detail records in the store (works whether or not the appliance runs). */
export const callsCommand: CliCommand = {
  name: 'calls',
  usage: [
    'calls list [--since <date>] [--until <date>] [--extension <n>] [--direction internal|outbound|inbound|emergency] [--limit <n>]',
    'calls export [same filters] > calls.csv   (CSV, RFC 4180; dates as 2026-12-02, ISO 8601 or epoch ms)',
  ].join('\n'),
  run(args, config, io) {
    const [, verb, extra] = args.positional;
    if (extra !== undefined) throw new ApplianceError('usage', `unexpected argument "${extra}"`);
    if (verb !== 'list' && verb !== 'export') throw new ApplianceError('usage', 'calls needs list or export');
    onlyOptions(args, ['--config', ...FILTERS]);
    const q = callRecordQuery((n) => args.options.get(`--${n}`), 1_000_000);
    const store = openStore(config.dataDir);
    try {
      const records = store.callRecords.list({ limit: verb === 'list' ? 50 : 1_000_000, ...q });
      if (verb === 'export') {
        io.out(callRecordsCsv(records).replace(/\r\n$/, ''));
        return;
      }
      if (records.length === 0) io.out('no call records');
      for (const r of records) {
        const duration = r.answeredAt !== null && r.endedAt !== null ? `${Math.round((r.endedAt - r.answeredAt) / 1000)} s` : '-';
        io.out([new Date(r.startedAt).toISOString(), r.direction, r.from, r.to, r.result ?? '-', duration, r.reason ?? (r.endedAt === null ? 'in progress' : '-')].join('\t'));
      }
    } finally {
      store.close();
    }
  },
};
