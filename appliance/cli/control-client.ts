import type { ApplianceConfig } from '../../system/config/index.ts';
import { ApplianceError, STATUS_MAP, type ErrorCode } from '../../system/errors/index.ts';
import { CONTROL_TOKEN_HEADER, readControlToken } from '../control/command-channel.ts';
import { localListener } from '../web/tls/local-client.ts';

/** How long the CLI waits for the running appliance. */
const TIMEOUT_MS = 5000;

/** A command channel answer: the appliance's JSON, or why it could not be asked. */
export type ControlAnswer =
  | { readonly reached: true; readonly status: number; readonly body: Record<string, unknown> }
  | { readonly reached: false; readonly reason: string };

/**
 * The error an error reply carries (`{ error: { code, message } }`, web/http.ts errorResponse):
 * its code and message as they were raised; a reply without one is `forbidden` with the status.
 */
export function answerError(status: number, body: Record<string, unknown>): ApplianceError {
  const e = body.error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' && Object.hasOwn(STATUS_MAP, e.code) ? (e.code as ErrorCode) : 'forbidden';
  return new ApplianceError(code, typeof e?.message === 'string' ? e.message : `the appliance answered ${status}`);
}

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
