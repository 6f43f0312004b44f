import { ApplianceError } from '../../system/errors/index.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';
import { answerError, askRunningAppliance } from './control-client.ts';

/** One command-channel verb of the running appliance that answers `{ ok, message }`. */
function channelVerb(name: string, path: string, usage: string): CliCommand {
  return {
    name,
    usage,
    async run(args, config, io) {
      onlyOptions(args, ['--config']);
      if (args.positional.length > 1) throw new ApplianceError('usage', `unexpected argument "${args.positional[1]}"`);
      const answer = await askRunningAppliance(config, path);
      if (!answer.reached) throw new ApplianceError('not-found', `the appliance does not seem to run: ${answer.reason}`);
      if (answer.status !== 200) throw answerError(answer.status, answer.body);
      io.out(String(answer.body.message ?? ''));
      if (answer.body.ok !== true) throw new ApplianceError('conflict', `${name} not applied`);
    },
  };
}

/**
 * `reload`: the running appliance re-reads and validates its config file and applies what
 * changed (control/config-reload.ts: live, by new workers, or refused naming the key). The
 * CLI reads the same file first: an invalid one already fails here, naming the key, and the
 * running appliance keeps its config.
 */
export const reloadCommand = channelVerb('reload', '/control/reload', 'reload                   re-read the config file on the running appliance (also SIGHUP)');

/** `upgrade`: the running appliance replaces its workers with ones running the code on disk now (also SIGUSR2). */
export const upgradeCommand = channelVerb('upgrade', '/control/upgrade', 'upgrade                  new workers from the code on disk, old ones drained (also SIGUSR2)');
