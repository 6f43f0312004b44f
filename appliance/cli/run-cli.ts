import { loadConfig } from '../../system/config/index.ts';
import { ApplianceError, asApplianceError } from '../../system/errors/index.ts';
import { parseArgs } from './cli-args.ts';
import type { CliOutput } from './command.ts';
import { COMMANDS } from './commands.ts';

export const USAGE = [
  'usage: bun appliance/main.ts [--config FILE]            start the appliance',
  '       bun appliance/main.ts [--config FILE] <command>   admin command on the store',
  '',
  'commands:',
  ...COMMANDS.flatMap((c) => c.usage.split('\n').map((l) => `  ${l}`)),
].join('\n');

/**
 * Runs an admin command if argv names one. Returns the exit code, or undefined when argv
 * asks to start the appliance (no command words).
 */
export async function runCli(argv: readonly string[], io: CliOutput): Promise<number | undefined> {
  try {
    const args = parseArgs(argv, ['--help', ...COMMANDS.flatMap((c) => c.flags ?? [])]);
    if (args.options.has('--help')) {
      io.out(USAGE);
      return 0;
    }
    const word = args.positional[0];
    if (word === undefined) return undefined;
    const command = COMMANDS.find((c) => c.name === word);
    if (!command) throw new ApplianceError('usage', `unknown command "${word}"\n${USAGE}`);
    const config = loadConfig(args.options.get('--config'));
    await command.run(args, config, io);
    return 0;
  } catch (err) {
    const e = asApplianceError(err);
    io.err(`error: ${e.message}`);
    return e.code === 'usage' ? 64 : 1;
  }
}
