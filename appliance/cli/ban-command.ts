import { ApplianceError } from '../../system/errors/index.ts';
import { openStore } from '../../system/store/index.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';
import { askRunningAppliance } from './control-client.ts';

/**
 * `ban list | ban lift <address>`: the SIP sources banned for failed logins, forged requests or
 * floods (issue 10). Works on the store; a lift reaches the running appliance's workers at once
 * through its command channel (they reload their bans).
 */
export const banCommand: CliCommand = {
  name: 'ban',
  usage: ['ban list                 banned SIP sources with reason and end', 'ban lift <address>       lift a ban now'].join('\n'),
  async run(args, config, io) {
    onlyOptions(args, ['--config']);
    const [, verb, address, extra] = args.positional;
    if (extra !== undefined) throw new ApplianceError('usage', `unexpected argument "${extra}"`);
    const store = openStore(config.dataDir);
    try {
      if (verb === 'list') {
        if (address !== undefined) throw new ApplianceError('usage', `unexpected argument "${address}"`);
        const bans = store.bans.active();
        if (bans.length === 0) io.out('no address is banned');
        for (const b of bans) io.out([b.address, new Date(b.until).toISOString(), b.reason].join('\t'));
        return;
      }
      if (verb !== 'lift') throw new ApplianceError('usage', `unknown ban command "${verb ?? ''}"`);
      if (!address) throw new ApplianceError('usage', 'ban lift needs an <address>');
      if (!store.bans.active().some((b) => b.address === address)) throw new ApplianceError('not-found', `${address} is not banned`);
      store.bans.remove(address);
      store.events.append('admin.ban.lift', `ban of ${address} lifted (CLI)`, { address });
    } finally {
      store.close();
    }
    const told = await askRunningAppliance(config, '/control/store-changed');
    io.out(`ban of ${address} lifted${told.reached ? '' : ' (the appliance is not running: it applies at the next start)'}`);
  },
};
