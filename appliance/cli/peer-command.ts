import { ApplianceError } from '../../system/errors/index.ts';
import { CONTROL_TOKEN_HEADER, readControlToken } from '../control/command-channel.ts';
import { localListener } from '../web/tls/local-client.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';
import { answerError } from './control-client.ts';

/**
 * `peer status | hand-off [name] | take-back`: manual hand-off and take-back on the running
 * appliance, through its local command channel (control/command-channel.ts).
 */
export const peerCommand: CliCommand = {
  name: 'peer',
  usage: ['peer status', 'peer hand-off [<peer name>]', 'peer take-back'].join('\n'),
  async run(args, config, io) {
    onlyOptions(args, ['--config']);
    const [, verb, name] = args.positional;
    const path = verb === 'status' ? '/control/status' : verb === 'hand-off' ? '/control/hand-off' : verb === 'take-back' ? '/control/take-back' : undefined;
    if (!path) throw new ApplianceError('usage', `unknown peer command "${verb ?? ''}"`);
    let token: string;
    try {
      token = readControlToken(config.dataDir);
    } catch {
      throw new ApplianceError('not-found', `the appliance does not seem to run (no control token in ${config.dataDir})`);
    }
    const { base, tls } = localListener(config);
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method: 'POST',
        ...(tls ? { tls } : {}),
        headers: { [CONTROL_TOKEN_HEADER]: token, 'content-type': 'application/json' },
        body: JSON.stringify(name ? { peer: name } : {}),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new ApplianceError('not-found', `cannot reach the appliance at ${base}: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw answerError(res.status, body);
    if (verb === 'status') {
      io.out(JSON.stringify(body, null, 2));
      return;
    }
    io.out(String(body.message ?? ''));
    if (body.ok === false) throw new ApplianceError('conflict', String(body.message));
  },
};
