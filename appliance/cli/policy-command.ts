import { ApplianceError } from '../../system/errors/index.ts';
import type { PolicySettingView } from '../control/policy-edits.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';
import { answerError, askRunningAppliance } from './control-client.ts';

/**
 * `policy show | set <key> <value> ... | reset <key> ...`: the overload policy's settings on the
 * running appliance (issue 19), through its command channel. `set` edits the group's keys at run
 * time (checked as the config file is, replicated to the peers, in force over the file also after
 * a restart); `reset` gives a key the config file's value again. An appliance's own keys
 * (critical_cpu_temperature) are set in its config file.
 */
export const policyCommand: CliCommand = {
  name: 'policy',
  usage: ['policy show', 'policy set <key> <value> [<key> <value> ...]', 'policy reset <key> [<key> ...]'].join('\n'),
  async run(args, config, io) {
    onlyOptions(args, ['--config']);
    const [, verb, ...words] = args.positional;
    let changes: Record<string, number | null> | undefined;
    if (verb === 'set') {
      if (words.length === 0 || words.length % 2 !== 0) throw new ApplianceError('usage', 'policy set takes pairs: <key> <value>, e.g. policy set scale_out_samples 4');
      changes = {};
      for (let i = 0; i < words.length; i += 2) {
        const value = Number(words[i + 1]);
        if (words[i + 1]!.trim() === '' || !Number.isFinite(value)) throw new ApplianceError('usage', `${words[i]}: "${words[i + 1]}" is not a number`);
        changes[words[i]!] = value;
      }
    } else if (verb === 'reset') {
      if (words.length === 0) throw new ApplianceError('usage', 'policy reset takes the keys to give back to the config file');
      changes = Object.fromEntries(words.map((k) => [k, null]));
    } else if (verb !== 'show' || words.length > 0) {
      throw new ApplianceError('usage', `unknown policy command "${verb ?? ''}"`);
    }
    const answer = await askRunningAppliance(config, '/control/policy', changes === undefined ? {} : { changes });
    if (!answer.reached) throw new ApplianceError('not-found', `the appliance does not seem to run (${answer.reason})`);
    if (answer.status !== 200) throw answerError(answer.status, answer.body);
    for (const s of answer.body.settings as PolicySettingView[]) io.out(describe(s));
  },
};

/** One line per key: `scale_out_samples = 4  (group; edited on a at <time>; file: 3)`. */
function describe(s: PolicySettingView): string {
  const where = s.edited ? `edited on ${s.edited.on || '?'} at ${new Date(s.edited.at).toISOString()}, file: ${s.file}` : 'from the config file';
  return `${s.key} = ${s.value}  (${s.scope === 'group' ? 'group' : 'this appliance'}; ${where})`;
}
