import { ApplianceError } from '../../system/errors/index.ts';
import { registrarText } from '../trunks/trunk-registrar.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';
import { askRunningAppliance } from './control-client.ts';

/** A trunk line as the running appliance's command channel answers it (web/api/trunks-api.ts presentTrunk). */
interface TrunkLine {
  readonly name: string;
  readonly state: string;
  readonly reason: string | null;
  readonly registrar: string;
  readonly expiresInSeconds: number | null;
  readonly retryAt: number | null;
}

/**
 * `trunk list`: each `[[trunks]]` entry with its registration state (registering, up, failed,
 * unregistered, static), the provider's reason when failed, and the seconds left of the
 * granted registration, from the running appliance (docs/TRUNKS.md). Never the password.
 */
export const trunkCommand: CliCommand = {
  name: 'trunk',
  usage: 'trunk list               trunks: name, state, reason, expiry, registrar',
  async run(args, config, io) {
    onlyOptions(args, ['--config']);
    const [, verb, extra] = args.positional;
    if (verb !== 'list') throw new ApplianceError('usage', `unknown trunk command "${verb ?? ''}"`);
    if (extra !== undefined) throw new ApplianceError('usage', `unexpected argument "${extra}"`);
    if (config.trunks.length === 0) {
      io.out('no trunks configured ([[trunks]] in the config file)');
      return;
    }
    const answer = await askRunningAppliance(config, '/control/trunks');
    if (!answer.reached || answer.status !== 200 || !Array.isArray(answer.body)) {
      const why = answer.reached ? `the appliance answered ${answer.status}` : answer.reason;
      for (const t of config.trunks) io.out([t.name, t.register ? 'unknown' : 'static', '-', '-', registrarText(t)].join('\t'));
      io.err(`state unknown: ${why}`);
      return;
    }
    for (const t of answer.body as unknown as TrunkLine[]) {
      const expiry = t.expiresInSeconds !== null ? `expires in ${t.expiresInSeconds} s` : t.retryAt ? `retry in ${Math.max(0, Math.round((t.retryAt - Date.now()) / 1000))} s` : '-';
      io.out([t.name, t.state, t.reason ?? '-', expiry, t.registrar].join('\t'));
    }
  },
};
