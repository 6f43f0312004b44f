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

/** AORs that have `contacts` unexpired bindings in the store. */
function completeAors(dataDir: string, contacts: number): Set<string> {
  const db = new Database(join(dataDir, 'appliance.sqlite'), { readonly: true });
  try {
    return new Set(db.query<{ aor: string }, [number, number]>('SELECT aor FROM registrations WHERE expires_at > ? GROUP BY aor HAVING COUNT(*) >= ?')
      .all(Date.now(), contacts).map((r) => r.aor));
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
    let batch = numbers.slice(registered, upTo);
    // Under load the appliance may shed (503 + Retry-After): the extensions without all their
    // bindings in the store register again, after a pause, up to 5 rounds.
    for (let round = 1; batch.length > 0; round++) {
      const inf = join(dir, `aors-${target}-${round}.csv`);
      const contactsOf = (n: string) => Array.from({ length: o.contacts }, (_, k) => `<sip:${n}-${k + 1}@${ip}:${port}>`).join(',');
      writeFileSync(inf, ['SEQUENTIAL', ...batch.map((n) => `${n};${contactsOf(n)}`), ''].join('\n'));
      const t0 = performance.now();
      const seconds = Math.ceil(batch.length / o.regRate);
      const r = await runSipp(dir, `register-${target}-${round}`, [
        '-sf', join(sippDir, 'register-contacts.xml'), '-inf', inf, `${LAYOUT.appliance.ip}:${LAYOUT.appliance.port}`,
        '-i', ip, '-p', String(port), '-r', String(o.regRate), '-m', String(batch.length), '-timeout', `${seconds * 3 + 30}s`,
      ], (seconds * 3 + 40) * 1000);
      const c = r.counters;
      log(`  REGISTER x ${batch.length} (${o.contacts} contacts each) at ${o.regRate}/s: ok ${c?.successful ?? 0}, failed ${c?.failed ?? '?'}, ` +
        `retrans ${c?.retransmissions ?? '?'}, ${((performance.now() - t0) / 1000).toFixed(1)} s${round > 1 ? ` (round ${round})` : ''}`);
      if (!c) throw new Error(`sipp wrote no statistics: ${errorExcerpt(r.dir)}`);
      if (c.successful === batch.length) break;
      if (round === 5) throw new Error(`REGISTERs still failing after 5 rounds: ${errorExcerpt(r.dir)}`);
      await Bun.sleep(3000);
      const full = completeAors(app.dataDir, o.contacts);
      batch = batch.filter((n) => !full.has(`sip:${n}@office.lan`));
    }
    registered = upTo;
    const stored = storedBindings(app.dataDir);
    const reading = await readRss(app, `${stored} bindings`, o.settleSeconds);
    log(`  ${formatReading(reading)}`);
    log(`  ${per10k(base, reading, stored)}`);
    readings.push(reading);
  }
  return readings;
}
