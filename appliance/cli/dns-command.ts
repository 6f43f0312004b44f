import { ApplianceError } from '../../system/errors/index.ts';
import { openStore } from '../../system/store/index.ts';
import { DnsAdminService, parseRecordId } from '../dns/admin-records.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';

/** `dns add|list|remove`: admin-managed DNS records in the store (the running appliance picks them up within a second). */
export const dnsCommand: CliCommand = {
  name: 'dns',
  usage: [
    'dns add <name> <type> <value...> [--ttl N]   types: A AAAA CNAME PTR TXT SRV NAPTR',
    'dns list                                     admin records, then derived ones (marked)',
    'dns remove <id> | dns remove <name> <type> <value...>',
  ].join('\n'),
  run(args, config, io) {
    const [, verb, ...rest] = args.positional;
    const store = openStore(config.dataDir);
    try {
      const service = new DnsAdminService(store, config);
      switch (verb) {
        case 'add': {
          onlyOptions(args, ['--config', '--ttl']);
          const [name, type, ...value] = rest;
          if (!name || !type || value.length === 0) throw new ApplianceError('usage', 'dns add needs <name> <type> <value>');
          const ttlText = args.options.get('--ttl');
          if (ttlText !== undefined && !/^\d{1,7}$/.test(ttlText)) throw new ApplianceError('usage', `--ttl needs a number of seconds, got "${ttlText}"`);
          const row = service.add({ name, type, value: value.join(' '), ttl: ttlText === undefined ? null : Number(ttlText) });
          io.out(`added ${row.id}\t${row.name}\t${row.ttl ?? config.dns.ttl}\t${row.type}\t${row.value}`);
          return;
        }
        case 'list': {
          onlyOptions(args, ['--config']);
          if (rest.length > 0) throw new ApplianceError('usage', `unexpected argument "${rest[0]}"`);
          const list = service.list();
          if (list.length === 0) io.out('no DNS records');
          for (const r of list) io.out([r.id ?? `(${r.derived})`, r.name, r.ttl, r.type, r.value].join('\t'));
          return;
        }
        case 'remove': {
          onlyOptions(args, ['--config']);
          const id = rest.length === 1 ? parseRecordId(rest[0]) : undefined;
          let removed;
          if (id !== undefined) removed = service.remove({ id });
          else {
            const [name, type, ...value] = rest;
            if (!name || !type || value.length === 0) throw new ApplianceError('usage', 'dns remove needs <id> or <name> <type> <value>');
            removed = service.remove({ name, type, value: value.join(' ') });
          }
          io.out(`removed ${removed.id}\t${removed.name}\t${removed.type}\t${removed.value}`);
          return;
        }
        default:
          throw new ApplianceError('usage', `unknown dns command "${verb ?? ''}"`);
      }
    } finally {
      store.close();
    }
  },
};
