/**
 * The bindings part: RSS before, then REGISTERs (several contacts each, from a trusted source)
 * up to each step's binding count, RSS after each step, and the growth per 10,000 bindings.
 */
import { Database } from 'bun:sqlite';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorExcerpt, runSipp } from '../sip-cps-lib/sipp.ts';
import type { MemoryAppliance } from './appliance.ts';
import { LAYOUT } from './layout.ts';
import { formatReading, per10k, readRss, type Reading } from './rss-report.ts';

export interface BindingsOptions {
  extensions: number;
  contacts: number;
  /** Binding counts to read RSS at, ascending. */
  steps: number[];
  /** REGISTERs per second. */
  regRate: number;
  settleSeconds: number;
}

type Log = (line: string) => void;

/** Unexpired bindings in the store (read-only; WAL lets it read while the appliance writes). */
function storedBindings(dataDir: string): number {
  const db = new Database(join(dataDir, 'appliance.sqlite'), { readonly: true });
  try {
    return db.query<{ n: number }, [number]>('SELECT COUNT(*) AS n FROM registrations WHERE expires_at > ?').get(Date.now())?.n ?? 0;
  } finally {
    db.close();
  }
}

export async function bindingsRun(app: MemoryAppliance, dir: string, sippDir: string, numbers: readonly string[], o: BindingsOptions, log: Log): Promise<Reading[]> {
  const { ip, port } = LAYOUT.registrar;
  const base = await readRss(app, 'before', o.settleSeconds);
  log(`  ${formatReading(base)}`);
  const readings: Reading[] = [base];
  let registered = 0; // extensions registered so far (each with o.contacts contacts)
  for (const target of o.steps) {
    const upTo = Math.ceil(target / o.contacts);
    const batch = numbers.slice(registered, upTo);
    if (batch.length > 0) {
      const inf = join(dir, `aors-${target}.csv`);
      const contactsOf = (n: string) => Array.from({ length: o.contacts }, (_, k) => `<sip:${n}-${k + 1}@${ip}:${port}>`).join(',');
      writeFileSync(inf, ['SEQUENTIAL', ...batch.map((n) => `${n};${contactsOf(n)}`), ''].join('\n'));
      const t0 = performance.now();
      const seconds = Math.ceil(batch.length / o.regRate);
      const r = await runSipp(dir, `register-${target}`, [
        '-sf', join(sippDir, 'register-contacts.xml'), '-inf', inf, `${LAYOUT.appliance.ip}:${LAYOUT.appliance.port}`,
        '-i', ip, '-p', String(port), '-r', String(o.regRate), '-m', String(batch.length), '-timeout', `${seconds * 3 + 30}s`,
      ], (seconds * 3 + 40) * 1000);
      const c = r.counters;
      log(`  REGISTER x ${batch.length} (${o.contacts} contacts each) at ${o.regRate}/s: ok ${c?.successful ?? 0}, failed ${c?.failed ?? '?'}, ` +
        `retrans ${c?.retransmissions ?? '?'}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (!c || c.successful < batch.length) throw new Error(`REGISTERs failed: ${errorExcerpt(r.dir)}`);
      registered = upTo;
    }
    const stored = storedBindings(app.dataDir);
    const reading = await readRss(app, `${stored} bindings`, o.settleSeconds);
    log(`  ${formatReading(reading)}`);
    log(`  ${per10k(base, reading, stored)}`);
    readings.push(reading);
  }
  return readings;
}
