import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseConfig, type ApplianceConfig } from '../../system/config/index.ts';
import { asApplianceError, ConfigError } from '../../system/errors/index.ts';
import { planReload, type ReloadChange } from './reload-plan.ts';

/** What a reload did, for the CLI, the web UI and the event log. */
export interface ReloadResult {
  readonly ok: boolean;
  /** One line for the admin: what was applied and how, or why nothing was. */
  readonly message: string;
  /** `refused`: invalid file, a key needing a restart, or the new workers did not start. */
  readonly applied: 'none' | 'live' | 'new-workers' | 'refused';
  readonly changes: readonly ReloadChange[];
  /** The key an invalid file fails on (the running config is kept). */
  readonly key?: string;
  /** With new workers: which started and which are draining. */
  readonly workers?: { readonly started: readonly number[]; readonly draining: readonly number[] };
}

/** The control section's side of a reload (config-reload.ts decides, this applies). */
export interface ReloadTarget {
  /** The accepted config text and its parse (undefined: started on the embedded defaults). */
  running(): { readonly text: string; readonly raw: Record<string, unknown> } | undefined;
  /** The file to read. */
  readonly path: string | undefined;
  /** Applies the control section's live keys (policy, schedules, retention). */
  applyLive(config: ApplianceConfig): void;
  /** Spawns workers with the new config and drains the old ones (worker-generations.ts). */
  newWorkers(config: ApplianceConfig, text: string): Promise<{ started: readonly number[]; draining: readonly number[] }>;
  /** Records the accepted text (after the plan was applied). */
  accept(text: string, raw: Record<string, unknown>): void;
}

/**
 * Reload (issue 17): reads the config file again and validates it the way the start does; an
 * invalid file is refused naming the key, and nothing changes. Otherwise the change is
 * classified (reload-plan.ts): live keys are applied at once, keys the workers build at start
 * are applied by a new generation of workers (the old one drained), and a key that needs a
 * restart refuses the whole reload, naming it (so the running config stays one consistent file).
 */
export async function reloadConfig(target: ReloadTarget): Promise<ReloadResult> {
  const running = target.running();
  if (!running || target.path === undefined) {
    return { ok: false, applied: 'refused', changes: [], message: 'started on the embedded defaults: there is no config file to reload (start with --config FILE)' };
  }
  let text: string;
  let config: ApplianceConfig;
  let raw: Record<string, unknown>;
  try {
    try {
      text = readFileSync(target.path, 'utf8');
    } catch (err) {
      throw new ConfigError('--config', `cannot read ${target.path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    config = parseConfig(text, target.path, dirname(resolve(target.path)));
    raw = Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (err) {
    const e = asApplianceError(err);
    const key = e instanceof ConfigError ? e.key : undefined;
    return { ok: false, applied: 'refused', changes: [], ...(key ? { key } : {}), message: `refused, the running config is kept: ${e.message}` };
  }
  const plan = planReload(running.raw, raw);
  const list = (how: string) => plan.changes.filter((c) => c.how === how).map((c) => c.key).join(', ');
  switch (plan.action) {
    case 'none':
      return { ok: true, applied: 'none', changes: [], message: 'no change in the config file' };
    case 'refuse':
      return {
        ok: false, applied: 'refused', changes: plan.changes,
        message: `refused, the running config is kept: ${plan.restart.join(', ')} ${plan.restart.length === 1 ? 'needs' : 'need'} a restart (nothing applied; restart the appliance to apply the file)`,
      };
    case 'live':
      target.applyLive(config);
      target.accept(text, raw);
      return { ok: true, applied: 'live', changes: plan.changes, message: `applied live: ${list('live')}` };
    case 'new-workers': {
      let workers: { started: readonly number[]; draining: readonly number[] };
      try {
        workers = await target.newWorkers(config, text);
      } catch (err) {
        return { ok: false, applied: 'refused', changes: plan.changes, message: `refused, the running config is kept: ${(err as Error).message}` };
      }
      target.applyLive(config);
      target.accept(text, raw);
      const liveKeys = list('live');
      return {
        ok: true, applied: 'new-workers', changes: plan.changes, workers,
        message: `applied by new connection control sections ${workers.started.join(', ')} (draining ${workers.draining.join(', ') || 'none'}): ${list('new-workers')}${liveKeys ? `; live: ${liveKeys}` : ''}`,
      };
    }
  }
}
