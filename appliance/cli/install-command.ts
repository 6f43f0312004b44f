import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApplianceError } from '../../system/errors/index.ts';
import { systemdUnit } from '../../system/service/systemd-unit.ts';
import { applianceCommand } from '../control/worker-command.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';

const UNIT_NAME = 'office-appliance.service';
const DEFAULT_USER = 'office-appliance';
const DEFAULT_UNIT_DIR = '/etc/systemd/system';

/** `id` answers for a user: its uid, gid and primary group, or undefined when there is none. */
function lookupUser(user: string): { uid: number; gid: number; group: string } | undefined {
  const id = (flag: string) => {
    const r = Bun.spawnSync(['id', flag, user], { stdout: 'pipe', stderr: 'ignore' });
    return r.exitCode === 0 ? r.stdout.toString().trim() : undefined;
  };
  const uid = id('-u');
  const gid = id('-g');
  const group = id('-gn');
  return uid === undefined || gid === undefined || group === undefined ? undefined : { uid: Number(uid), gid: Number(gid), group };
}

/**
 * `install`: writes the systemd unit that runs this executable (or, from source, bun and
 * main.ts) with `--config FILE` as its own user (system/service/systemd-unit.ts). As root it
 * also creates the user (useradd --system) and the data dir (0700, owned by the user), lets
 * the user's group read the config (0640: it holds trunk and peer secrets) and writes the unit
 * to /etc/systemd/system; `--dry-run` prints the unit, `--output FILE` writes it there, both
 * changing nothing else and needing no root.
 */
export const installCommand: CliCommand = {
  name: 'install',
  usage: 'install [--user NAME] [--unit-dir DIR] [--dry-run | --output FILE]   systemd unit for this executable (docs/IMAGE.md); --config required',
  flags: ['--dry-run'],
  run(args, config, io) {
    onlyOptions(args, ['--config', '--user', '--unit-dir', '--dry-run', '--output']);
    if (args.positional.length > 1) throw new ApplianceError('usage', `unexpected argument "${args.positional[1]}"`);
    const configArg = args.options.get('--config');
    if (configArg === undefined) throw new ApplianceError('usage', 'install needs --config FILE: the service runs with that file (the embedded defaults have no fixed data_dir)');
    const dryRun = args.options.has('--dry-run');
    const output = args.options.get('--output');
    if (dryRun && output !== undefined) throw new ApplianceError('usage', 'use --dry-run or --output, not both');
    const user = args.options.get('--user') ?? DEFAULT_USER;
    const unit = (group: string) => systemdUnit({
      command: applianceCommand(), configPath: resolve(configArg), dataDir: config.dataDir, user, group,
      stopGraceSeconds: config.control.stopGraceSeconds,
    });

    if (dryRun) {
      io.out(unit(lookupUser(user)?.group ?? user));
      return;
    }
    if (output !== undefined) {
      writeFileSync(output, unit(lookupUser(user)?.group ?? user), { mode: 0o644 });
      io.out(`wrote ${output} (the unit only: no user, data dir or systemctl)`);
      return;
    }
    if (process.getuid?.() !== 0) {
      throw new ApplianceError('forbidden', 'install creates a system user and the data dir: run it as root, or use --dry-run (print the unit) or --output FILE (write it only)');
    }
    unit(user); // every input checked before anything changes on the system
    if (!lookupUser(user)) {
      const made = Bun.spawnSync(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', config.dataDir, '--shell', '/usr/sbin/nologin', user], { stdout: 'ignore', stderr: 'pipe' });
      if (made.exitCode !== 0) throw new ApplianceError('internal', `useradd ${user} failed: ${made.stderr.toString().trim()}`);
      io.out(`created system user ${user}`);
    }
    const account = lookupUser(user);
    if (!account) throw new ApplianceError('internal', `user ${user} not found after useradd`);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    chownSync(config.dataDir, account.uid, account.gid);
    chmodSync(config.dataDir, 0o700); // the store keeps it so (system/store/file-modes.ts)
    chownSync(resolve(configArg), 0, account.gid);
    chmodSync(resolve(configArg), 0o640);
    const unitPath = join(args.options.get('--unit-dir') ?? DEFAULT_UNIT_DIR, UNIT_NAME);
    writeFileSync(unitPath, unit(account.group), { mode: 0o644 });
    io.out(`data dir ${config.dataDir} (owner ${user}, 0700); config ${resolve(configArg)} (root:${account.group}, 0640)`);
    io.out(`wrote ${unitPath}; now: systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`);
  },
};
