import { ApplianceError } from '../../system/errors/index.ts';
import { CONTROL_TOKEN_HEADER, readControlToken } from '../control/command-channel.ts';
import { localListener } from '../web/tls/local-client.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';
import { answerError } from './control-client.ts';

/**
 * `peer status | hand-off [name] | take-back | evacuate <reason> | return`: manual hand-off and
 * take-back, and the situation switch (issue 19: evacuate this box until `return`), on the
 * running appliance, through its local command channel (control/command-channel.ts).
 */
export const peerCommand: CliCommand = {
  name: 'peer',
  usage: ['peer status', 'peer hand-off [<peer name>]', 'peer take-back', 'peer evacuate <reason>', 'peer return'].join('\n'),
  async run(args, config, io) {
    onlyOptions(args, ['--config']);
    const [, verb, name] = args.positional;
    const paths: Record<string, string> = {
      status: '/control/status', 'hand-off': '/control/hand-off', 'take-back': '/control/take-back', evacuate: '/control/situation', return: '/control/situation',
    };
    const path = verb !== undefined && Object.hasOwn(paths, verb) ? paths[verb] : undefined;
    if (!path) throw new ApplianceError('usage', `unknown peer command "${verb ?? ''}"`);
    const reason = args.positional.slice(2).join(' ');
    if (verb === 'evacuate' && reason.trim() === '') throw new ApplianceError('usage', 'peer evacuate needs a reason, e.g. peer evacuate "UPS on battery"');
    const request = verb === 'evacuate' ? { on: true, reason } : verb === 'return' ? { on: false, reason } : name ? { peer: name } : {};
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
        body: JSON.stringify(request),
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
