/**
 * bench/reg-memory: resident memory of every appliance process (control section + each worker)
 * with many bindings, and across many calls (issue 16). See docs/BENCHMARKS.md "Memory".
 * Loopback 127.0.206.0/24 only; every process it starts is stopped on exit, error and signals.
 */
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stopAll, stopOnSignals } from '../sip-cps-lib/processes.ts';
import { SIPP } from '../sip-cps-lib/sipp.ts';
import { MemoryAppliance } from './appliance.ts';
import { bindingsRun, type BindingsOptions } from './bindings.ts';
import { callsRun, type CallsOptions } from './calls.ts';
import { LAYOUT } from './layout.ts';

const USAGE = `usage: bench/reg-memory [options]
  --workers LIST      worker counts to run, each a fresh appliance (default 1,2)
  --extensions N      extensions restored from a generated backup (default 25000)
  --contacts N        contacts per REGISTER / per extension (default 4; the registrar allows 10)
  --steps LIST        binding counts to measure at (default 10000,100000; at most extensions x contacts)
  --reg-rate R        REGISTERs/s (default 300, i.e. 1,200 bindings/s with 4 contacts)
  --calls [N]         instead of bindings: N calls through the proxy (default 1000000), RSS every --every calls
  --every N           calls between RSS reports (default 10000)
  --call-rate R       calls/s (default 500)
  --max-transactions N  [security] max_transactions (default: the appliance's 20,000; a worker
                      sheds new calls with 503 at 80 % of it, and each call's transactions stay 32 s)
  --settle S          seconds to wait before each RSS reading (default 8)
  --keep              keep the temp dir (logs, sipp output) after a clean run`;

const libDir = dirname(Bun.fileURLToPath(import.meta.url));
const repo = resolve(libDir, '../..');
const sippDir = join(repo, 'bench/sipp');

function parse(argv: string[]) {
  const b: BindingsOptions = { extensions: 25_000, contacts: 4, steps: [10_000, 100_000], regRate: 300, settleSeconds: 8 };
  const c: CallsOptions = { calls: 0, every: 10_000, rate: 500, settleSeconds: 8 };
  let workers = [1, 2];
  let keep = false;
  let maxTransactions: number | undefined;
  const num = (i: number) => {
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${argv[i]} needs a positive whole number`);
    return v;
  };
  const list = (i: number) => (argv[i + 1] ?? '').split(',').map(Number).filter((v) => Number.isInteger(v) && v > 0);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--workers': workers = list(i++); break;
      case '--extensions': b.extensions = num(i++); break;
      case '--contacts': b.contacts = num(i++); break;
      case '--steps': b.steps = list(i++).sort((x, y) => x - y); break;
      case '--reg-rate': b.regRate = num(i++); break;
      case '--calls': {
        const n = Number(argv[i + 1]);
        if (Number.isInteger(n) && n > 0) { c.calls = n; i++; } else c.calls = 1_000_000;
        break;
      }
      case '--every': c.every = num(i++); break;
      case '--call-rate': c.rate = num(i++); break;
      case '--settle': b.settleSeconds = c.settleSeconds = num(i++); break;
      case '--max-transactions': maxTransactions = num(i++); break;
      case '--keep': keep = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  if (workers.length === 0) throw new Error('--workers needs a list like 1,2');
  if (b.contacts > 10) throw new Error('--contacts: the registrar takes at most 10 contacts per AOR');
  if (b.steps.length === 0 || b.steps.at(-1)! > b.extensions * b.contacts) throw new Error(`--steps: at most --extensions x --contacts = ${b.extensions * b.contacts}`);
  return { b, c, workers, keep, maxTransactions };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (!existsSync(SIPP)) {
    console.error(`error: sipp not found at ${SIPP} (set SIPP=/path/to/sipp)`);
    return 2;
  }
  const uacCall = resolve(repo, '../shared/bench/sipp/uac-call.xml');
  if (args.c.calls > 0 && !existsSync(uacCall)) {
    console.error(`error: caller scenario not found: ${uacCall}`);
    return 2;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'reg-memory-'));
  stopOnSignals(tmp);
  const t0 = Date.now();
  console.log(`reg-memory: ${navigator.hardwareConcurrency} cores, load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}, temp dir ${tmp}`);
  let failed = false;
  for (const workers of args.workers) {
    const dir = join(tmp, `workers-${workers}`);
    mkdirSync(dir, { recursive: true });
    const app = new MemoryAppliance({
      repo, dir, host: LAYOUT.appliance.ip, port: LAYOUT.appliance.port, workers,
      trusted: [LAYOUT.registrar.ip, LAYOUT.caller.ip, LAYOUT.callee.ip], probe: LAYOUT.probe, sippDir, maxTransactions: args.maxTransactions,
    });
    console.log(`\n== appliance, ${workers} worker${workers > 1 ? 's' : ''} (${LAYOUT.appliance.ip}:${LAYOUT.appliance.port})`);
    try {
      if (args.c.calls > 0) {
        await app.prepare(['201']);
        await app.start();
        await callsRun(app, dir, sippDir, uacCall, args.c, (l) => console.log(l));
      } else {
        const numbers = Array.from({ length: args.b.extensions }, (_, i) => String(100_000 + i));
        const ms = await app.prepare(numbers);
        console.log(`  ${numbers.length} extensions restored from a generated backup document in ${(ms / 1000).toFixed(1)} s`);
        await app.start();
        await bindingsRun(app, dir, sippDir, numbers, args.b, (l) => console.log(l));
      }
    } catch (e) {
      failed = true;
      console.log(`  ERROR: ${(e as Error).message}`);
    } finally {
      await app.stop();
    }
  }
  await stopAll();
  console.log(`\nfinished in ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  if (failed || args.keep) console.log(`logs: ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  return failed ? 1 : 0;
}

process.exit(await main());
