#!/usr/bin/env bun
/**
 * Entry point: `bun appliance/main.ts [--config FILE]` starts the appliance;
 * `bun appliance/main.ts [--config FILE] <command> ...` runs an admin command on the store.
 */
import { loadConfig, parseConfig } from '../system/config/index.ts';
import { asApplianceError } from '../system/errors/index.ts';
import { runCli } from './cli/run-cli.ts';
import { parseArgs } from './cli/cli-args.ts';
import { dirname, resolve } from 'node:path';
import { startControlSection } from './control/control-section.ts';
import { Logger } from '../system/log/logger.ts';
import { notifyMainPid, predecessorLink, RESERVED_SLOTS_OPTION, TAKE_OVER_OPTION } from './control/succession.ts';
import { CONFIG_TEXT_ENV } from './control/ipc-protocol.ts';

const argv = process.argv.slice(2);
const io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l) };
const code = await runCli(argv, io);
if (code !== undefined) process.exit(code);

try {
  const options = parseArgs(argv).options;
  const configPath = options.get('--config');
  // Started by an upgrade (control/succession.ts): take over from the running control section,
  // on the config text it accepted.
  const predecessor = predecessorLink(options.get(TAKE_OVER_OPTION), options.get(RESERVED_SLOTS_OPTION));
  const accepted = predecessor && configPath !== undefined ? process.env[CONFIG_TEXT_ENV] : undefined;
  delete process.env[CONFIG_TEXT_ENV];
  const config = accepted !== undefined ? parseConfig(accepted, configPath!, dirname(resolve(configPath!))) : loadConfig(configPath);
  // One structured line per event on stdout (journald), `[log] format` and levels; the workers write theirs beside it.
  const logger = new Logger(config.log, (line) => console.log(line));
  // The control section runs here; connection control sections are its worker processes.
  const appliance = await startControlSection(config, {
    configArg: configPath === undefined ? 'embedded' : resolve(configPath),
    logger,
    ...(accepted !== undefined ? { configText: accepted } : {}),
    ...(predecessor ? { predecessor } : {}),
    onHandedOver: () => process.exit(0),
  });
  if (predecessor) {
    logger.log('info', 'control.upgrade', `control section ${process.pid} took over from ${predecessor.pid}`);
    const told = await notifyMainPid();
    if (told) logger.log(told.startsWith('systemd told') ? 'info' : 'warn', 'control.upgrade', told);
  }
  const stop = async (signal: string) => {
    logger.log('info', 'control.stopping', `${signal}: stopping`);
    await appliance.stop();
    process.exit(0);
  };
  // Reload (SIGHUP) and upgrade (SIGUSR2) without a restart (issue 17).
  process.on('SIGHUP', () => void appliance.reload().then((r) => logger.log(r.ok ? 'info' : 'warn', 'control.signal', `SIGHUP: reload: ${r.message}`)));
  process.on('SIGUSR2', () => void appliance.upgrade().then((r) => logger.log(r.ok ? 'info' : 'warn', 'control.signal', `SIGUSR2: upgrade: ${r.message}`)));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  console.error(`error: ${asApplianceError(err).message}`);
  process.exit(1);
}
