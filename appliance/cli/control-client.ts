import type { ApplianceConfig } from '../../system/config/index.ts';
import { CONTROL_TOKEN_HEADER, readControlToken } from '../control/command-channel.ts';
import { localListener } from '../web/tls/local-client.ts';

/** How long the CLI waits for the running appliance. */
const TIMEOUT_MS = 5000;

/** A command channel answer: the appliance's JSON, or why it could not be asked. */
export type ControlAnswer =
  | { readonly reached: true; readonly status: number; readonly body: Record<string, unknown> }
  | { readonly reached: false; readonly reason: string };

/**
 * Sends one command to the running control section over its local command channel
 * (control/command-channel.ts: POST on the web port with the token from the data directory). Never throws:
 * an appliance that is not running is an answer (`reached: false`), for the caller to judge.
 */
export async function askRunningAppliance(config: ApplianceConfig, path: string, body: Record<string, unknown> = {}): Promise<ControlAnswer> {
  let token: string;
  try {
    token = readControlToken(config.dataDir);
  } catch {
    return { reached: false, reason: `no control token in ${config.dataDir}` };
  }
  const { base, tls } = localListener(config);
  try {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      ...(tls ? { tls } : {}),
      headers: { [CONTROL_TOKEN_HEADER]: token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    return { reached: true, status: res.status, body: parsed };
  } catch (err) {
    return { reached: false, reason: `cannot reach the appliance at ${base}: ${(err as Error).message}` };
  }
}
