import { ApplianceError } from '../../system/errors/index.ts';
import { openStore, type RingGroupRecord } from '../../system/store/index.ts';
import { RingGroupService } from '../admin/ring-group-service.ts';
import { outsideMemberCheck } from '../admin/outside-forward-check.ts';
import { onlyOptions, type ParsedArgs } from './cli-args.ts';
import type { CliCommand } from './command.ts';

/** A whole number of seconds from an option, or undefined when absent. */
function secondsOption(args: ParsedArgs, key: string): number | undefined {
  const v = args.options.get(key);
  if (v === undefined) return undefined;
  if (!/^\d{1,4}$/.test(v)) throw new ApplianceError('usage', `${key} needs a whole number of seconds`);
  return Number(v);
}

/** A count from an option (0-1000, checked by the service), or undefined when absent. */
function countOption(args: ParsedArgs, key: string): number | undefined {
  const v = args.options.get(key);
  if (v === undefined) return undefined;
  if (!/^\d{1,4}$/.test(v)) throw new ApplianceError('usage', `${key} needs a whole number`);
  return Number(v);
}

/** A comma-separated member list ("201,202"); "" is none. */
function memberList(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((m) => m.trim()).filter((m) => m !== '');
}

/** One line of `group list`. */
export function describeGroup(g: RingGroupRecord): string {
  const timing = g.strategy === 'hunt' ? `${g.ringSeconds} s each, ${g.timeoutSeconds} s in all` : `${g.timeoutSeconds} s`;
  const outside = `outside=${g.callClass},${g.maxOutsideCalls} at once,${g.outsideCallsPerHour}/h`;
  return [g.number, g.name || '-', g.strategy, timing, `members=${g.members.join(',') || '-'}`, `fallback=${g.fallback ?? '-'}`, outside].join('\t');
}

/** `group add|list|remove|members` (issue 15): ring groups in the store, read by the appliance on each call. */
export const groupCommand: CliCommand = {
  name: 'group',
  usage: [
    'group add <number> --members <ext|outside number,...> [--name <name>] [--strategy ring-all|hunt] [--ring <s>] [--timeout <s>] [--fallback <ext|group|voicemail>]',
    '          [--class internal|local|national|international|premium] [--max-calls <n>] [--per-hour <n>]   (its outside members\' permissions)',
    'group list',
    'group members <number> <ext|outside number,...>   (replaces the member list, in hunt order)',
    'group permit <number> [--class <class>] [--max-calls <n>] [--per-hour <n>]   (whom its outside members may be, how many calls)',
    'group remove <number>',
  ].join('\n'),
  run(args, config, io) {
    const [, verb, number, ...rest] = args.positional;
    const store = openStore(config.dataDir);
    try {
      const service = new RingGroupService(store, config.emergency.numbers, config.voicemail.uri !== undefined, outsideMemberCheck(config, store));
      const permits = () => ({
        callClass: args.options.get('--class'), maxOutsideCalls: countOption(args, '--max-calls'), outsideCallsPerHour: countOption(args, '--per-hour'),
      });
      switch (verb) {
        case 'add': {
          onlyOptions(args, ['--config', '--members', '--name', '--strategy', '--ring', '--timeout', '--fallback', '--class', '--max-calls', '--per-hour']);
          if (!number || rest.length > 0) throw new ApplianceError('usage', 'group add needs one number');
          const g = service.add({
            number, members: memberList(args.options.get('--members')) ?? [], name: args.options.get('--name'), strategy: args.options.get('--strategy'),
            ringSeconds: secondsOption(args, '--ring'), timeoutSeconds: secondsOption(args, '--timeout'), fallback: args.options.get('--fallback'),
            ...permits(),
          });
          io.out(`added ring group ${describeGroup(g)}`);
          return;
        }
        case 'list': {
          onlyOptions(args, ['--config']);
          const list = service.list();
          if (list.length === 0) io.out('no ring groups');
          for (const g of list) io.out(describeGroup(g));
          return;
        }
        case 'members': {
          onlyOptions(args, ['--config']);
          if (!number || rest.length !== 1) throw new ApplianceError('usage', 'group members needs a number and a comma-separated member list');
          io.out(`ring group ${describeGroup(service.update({ number, members: memberList(rest[0]) }))}`);
          return;
        }
        case 'permit': {
          onlyOptions(args, ['--config', '--class', '--max-calls', '--per-hour']);
          if (!number || rest.length > 0) throw new ApplianceError('usage', 'group permit needs one number');
          io.out(`ring group ${describeGroup(service.update({ number, ...permits() }))}`);
          return;
        }
        case 'remove': {
          onlyOptions(args, ['--config']);
          if (!number || rest.length > 0) throw new ApplianceError('usage', 'group remove needs one number');
          service.remove(number);
          io.out(`removed ring group ${number}`);
          return;
        }
        default:
          throw new ApplianceError('usage', `unknown group command "${verb ?? ''}"`);
      }
    } finally {
      store.close();
    }
  },
};
