import type { ApplianceConfig } from '../../system/config/index.ts';
import { ApplianceError } from '../../system/errors/index.ts';
import { registrarText } from '../trunks/trunk-registrar.ts';
import { onlyOptions, type ParsedArgs } from './cli-args.ts';
import type { CliCommand, CliOutput } from './command.ts';
import { askRunningAppliance } from './control-client.ts';
import { editOutsideLine, viewOutsideLine } from './outside-line-tell.ts';
import { ARGV_PASSWORD_WARNING, readSecret } from './read-secret.ts';

/** A trunk line as the running appliance's command channel answers it (web/api/trunks-api.ts presentTrunk). */
interface TrunkLine {
  readonly name: string;
  readonly state: string;
  readonly reason: string | null;
  readonly registrar: string;
  readonly expiresInSeconds: number | null;
  readonly retryAt: number | null;
}

const TRUNK_OPTIONS = ['--registrar', '--transport', '--username', '--password', '--auth-username', '--domain', '--caller-id', '--register', '--keepalive', '--tls-ca'];

/** `--keepalive <s>`: whole seconds (the parser bounds them). */
function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v)) throw new ApplianceError('usage', '--keepalive needs a whole number of seconds');
  return Number(v);
}

/** `--register yes|no` (absent: the default, yes). */
function yesNo(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw new ApplianceError('usage', '--register needs yes or no');
}

/** `--password -` (stdin or a prompt), or the value given (with a warning), or undefined. */
async function passwordOption(args: ParsedArgs, io: CliOutput): Promise<string | undefined> {
  const given = args.options.get('--password');
  if (given === '-') return readSecret('trunk password');
  if (given !== undefined) io.err(ARGV_PASSWORD_WARNING);
  return given;
}

/**
 * `trunk list|add|change|password|remove|emergency` (docs/TRUNKS.md): the trunks with their
 * registration state from the running appliance; trunks added here live in the store (the
 * config file's are fixed), their password sealed there. Never prints a password.
 */
export const trunkCommand: CliCommand = {
  name: 'trunk',
  usage: [
    'trunk list               trunks: name, state, reason, expiry, registrar, origin',
    'trunk add <name> --registrar <host[:port]> --username <user> --password - [--transport udp|tcp|tls] [--auth-username <u>] [--domain <d>] [--caller-id <+number>] [--register no] [--keepalive <s>] [--tls-ca /path/ca.pem]   (no: an IP-authenticated trunk; keepalive: OPTIONS every s seconds, 30, 0 none; tls-ca: the CAs of a TLS provider with a private CA)',
    'trunk change <name> [the same options]   (a trunk added here; no --password keeps the stored one)',
    'trunk password <name> --password -       (sealed in the store)',
    'trunk remove <name>',
    'trunk emergency <name>                   (the trunk emergency calls leave by, when the config file names none)',
  ].join('\n'),
  async run(args, config, io) {
    const [, verb, name, extra] = args.positional;
    if (extra !== undefined) throw new ApplianceError('usage', `unexpected argument "${extra}"`);
    if (verb === 'list') {
      onlyOptions(args, ['--config']);
      if (name !== undefined) throw new ApplianceError('usage', `unexpected argument "${name}"`);
      return list(config, io);
    }
    if (!['add', 'change', 'password', 'remove', 'emergency'].includes(verb ?? '')) throw new ApplianceError('usage', `unknown trunk command "${verb ?? ''}"`);
    if (!name) throw new ApplianceError('usage', `trunk ${verb} needs a trunk name`);
    await editOutsideLine(config, io, async (service) => {
      switch (verb) {
        case 'add':
        case 'change': {
          onlyOptions(args, ['--config', ...TRUNK_OPTIONS]);
          const input = {
            name, registrar: args.options.get('--registrar'), transport: args.options.get('--transport'), username: args.options.get('--username'),
            password: await passwordOption(args, io), authUsername: args.options.get('--auth-username'), domain: args.options.get('--domain'),
            callerId: args.options.get('--caller-id'), register: yesNo(args.options.get('--register')),
            keepalive: seconds(args.options.get('--keepalive')), tlsCa: args.options.get('--tls-ca'),
          };
          if (verb === 'add') service.addTrunk(input);
          else service.replaceTrunk(input);
          io.out(`${verb === 'add' ? 'added' : 'changed'} trunk ${name}${input.password !== undefined ? ' (password sealed in the store)' : ''}`);
          break;
        }
        case 'password': {
          onlyOptions(args, ['--config', '--password']);
          const password = await passwordOption(args, io);
          if (password === undefined) throw new ApplianceError('usage', 'trunk password needs --password - (read from stdin)');
          service.setTrunkPassword(name, password);
          io.out(`trunk ${name}: password sealed in the store`);
          break;
        }
        case 'remove':
          onlyOptions(args, ['--config']);
          service.removeTrunk(name);
          io.out(`removed trunk ${name}`);
          break;
        case 'emergency':
          onlyOptions(args, ['--config']);
          service.setEmergencyTrunk(name);
          io.out(`emergency calls leave by trunk ${name}`);
          break;
      }
    });
  },
};

async function list(config: ApplianceConfig, io: CliOutput): Promise<void> {
  const line = viewOutsideLine(config);
  if (line.trunks.length === 0) {
    io.out('no trunks (add one: trunk add, the web UI, or [[trunks]] in the config file)');
    return;
  }
  const origin = (n: string) => line.origins.trunks.get(n)?.from ?? 'config';
  const answer = await askRunningAppliance(config, '/control/trunks');
  if (!answer.reached || answer.status !== 200 || !Array.isArray(answer.body)) {
    const why = answer.reached ? `the appliance answered ${answer.status}` : answer.reason;
    for (const t of line.trunks) io.out([t.name, t.register ? 'unknown' : 'static', '-', '-', registrarText(t), origin(t.name)].join('\t'));
    io.err(`state unknown: ${why}`);
    return;
  }
  for (const t of answer.body as unknown as TrunkLine[]) {
    const expiry = t.expiresInSeconds !== null ? `expires in ${t.expiresInSeconds} s` : t.retryAt ? `retry in ${Math.max(0, Math.round((t.retryAt - Date.now()) / 1000))} s` : '-';
    io.out([t.name, t.state, t.reason ?? '-', expiry, t.registrar, origin(t.name)].join('\t'));
  }
}
