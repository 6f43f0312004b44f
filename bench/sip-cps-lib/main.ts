/**
 * bench/sip-cps: loopback SIP benchmark of our appliance against Kamailio (see
 * docs/BENCHMARKS.md). Runs each SUT in turn, prints a table and, when Kamailio was measured,
 * `ratio_vs_kamailio=<ours/kamailio max calls/s>` as the last line.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ApplianceSut } from './appliance-sut.ts';
import { KamailioSut, kamailioInstalled } from './kamailio-sut.ts';
import { CURVE_RATES, measureSut, type Figures, type Layout, type MeasureOptions } from './measure.ts';
import { HONEST_RULE } from './step-rule.ts';
import { stopAll, stopOnSignals } from './processes.ts';
import { SIPP } from './sipp.ts';
import { SutUnavailable, type Sut, type SutContext } from './sut.ts';
import { formatReport } from './report.ts';

const USAGE = `usage: bench/sip-cps [options]
  --sut LIST            appliance,kamailio (default: both; kamailio only if installed)
  --step-seconds S      seconds of calls per rate step (default 6)
  --reg-step-seconds S  seconds of REGISTERs per rate step (default 3)
  --curve LIST          fixed calls/s of the latency curve (default 500,1000,1500,2000,2500; 0 = none)
  --start-cps N         first call rate (default 250)
  --start-rps N         first REGISTER rate (default 500)
  --factor F            ramp factor between steps (default 1.5)
  --bisect N            bisection steps after the first failing rate (default 3)
  --users N             digest users 2000.. (default 100)
  --tests LIST          calls,register (default: both)
  --quick               short steps (3 s calls, 2 s REGISTER, 2 bisections)
  --kamailio-children N UDP worker processes for Kamailio (default 4)
  --appliance-workers L also run the appliance with exactly N connection control sections for
                        each N in L (e.g. 1,2: SUTs appliance-1w, appliance-2w; [control]
                        min_workers = max_workers = N), by the same rule in the same run; the
                        ratios stay those of the default "appliance" (its own scaling)
  --appliance-repo DIR  also run the appliance of another checkout (with its node_modules),
                        as SUT appliance@<its git rev>, with this harness and rule: before and
                        after a change in one run
  --keep                keep the temp dir (sipp and SUT logs) after a successful run`;

const libDir = dirname(Bun.fileURLToPath(import.meta.url));
const repo = resolve(libDir, '../..');
const benchDir = join(repo, 'bench');

function parse(argv: string[]) {
  const o: MeasureOptions = {
    stepSeconds: 6, regStepSeconds: 3, latencySeconds: 8, startCps: 250, startRps: 500,
    factor: 1.5, bisectSteps: 3, maxFailRatio: HONEST_RULE.maxFailRatio, recoverSeconds: 3, confirm: true,
    curveRates: CURVE_RATES, calls: true, registers: true,
  };
  let suts: string[] | undefined;
  let users = 100;
  let keep = false;
  let kamailioChildren = 4;
  let applianceWorkers: number[] = [];
  const otherRepos: string[] = [];
  const num = (i: number) => {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${argv[i]} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--sut': suts = (argv[++i] ?? '').split(',').filter(Boolean); break;
      case '--step-seconds': o.stepSeconds = num(i++); break;
      case '--reg-step-seconds': o.regStepSeconds = num(i++); break;
      case '--curve': o.curveRates = (argv[++i] ?? '').split(',').map(Number).filter((v) => v > 0); break;
      case '--start-cps': o.startCps = num(i++); break;
      case '--start-rps': o.startRps = num(i++); break;
      case '--factor': o.factor = num(i++); break;
      case '--bisect': o.bisectSteps = Math.round(num(i++)); break;
      case '--users': users = Math.round(num(i++)); break;
      case '--quick': Object.assign(o, { stepSeconds: 3, regStepSeconds: 2, bisectSteps: 2 }); break;
      case '--tests': {
        const t = (argv[++i] ?? '').split(',');
        o.calls = t.includes('calls');
        o.registers = t.includes('register');
        if (!o.calls && !o.registers) throw new Error('--tests takes calls,register');
        break;
      }
      case '--kamailio-children': kamailioChildren = Math.round(num(i++)); break;
      case '--appliance-repo': otherRepos.push(resolve(argv[++i] ?? '.')); break;
      case '--appliance-workers': {
        applianceWorkers = (argv[++i] ?? '').split(',').map(Number);
        if (applianceWorkers.length === 0 || applianceWorkers.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error('--appliance-workers takes a list of 1..64');
        break;
      }
      case '--keep': keep = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  for (const s of suts ?? []) if (s !== 'appliance' && s !== 'kamailio') throw new Error(`unknown SUT "${s}"`);
  return { o, suts, users, keep, kamailioChildren, applianceWorkers, otherRepos };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const uacCall = resolve(repo, '../shared/bench/sipp/uac-call.xml');
  if (!existsSync(uacCall)) {
    console.error(`error: caller scenario not found: ${uacCall} (expected <repo>/../shared/bench/sipp/uac-call.xml)`);
    return 2;
  }
  if (!existsSync(SIPP)) {
    console.error(`error: sipp not found at ${SIPP} (set SIPP=/path/to/sipp)`);
    return 2;
  }
  const scenarios = {
    uacCall,
    uasCallee: join(benchDir, 'sipp/uas-callee.xml'),
    register: join(benchDir, 'sipp/register.xml'),
    registerAuth: join(benchDir, 'sipp/register-auth.xml'),
  };
  const layout: Layout = {
    caller: { ip: '127.0.0.10', port: 5061 },
    callee: { ip: '127.0.0.11', port: 5070 },
    regClient: { ip: '127.0.0.12', port: 5062 },
  };
  const kamailioOk = kamailioInstalled();
  const wanted = args.suts ?? ['appliance', ...(kamailioOk ? ['kamailio'] : [])];
  if (!kamailioOk && wanted.includes('kamailio')) console.log('kamailio: not installed, skipped');
  // Kamailio first: the reference figures come out even if ours falls over.
  const suts: Sut[] = [];
  if (wanted.includes('kamailio') && kamailioOk) {
    suts.push(new KamailioSut('127.0.0.3', 5060, join(benchDir, 'kamailio/kamailio.cfg'), { ip: '127.0.0.13', port: 5063 }, join(benchDir, 'sipp'), args.kamailioChildren));
  }
  if (wanted.includes('appliance')) suts.push(new ApplianceSut('127.0.0.2', 5060, repo, { ip: '127.0.0.13', port: 5063 }, join(benchDir, 'sipp')));
  // Another checkout (before/after a refactor, issue 13): its appliance, this harness.
  for (const other of args.otherRepos) {
    const rev = Bun.spawnSync(['git', '-C', other, 'rev-parse', '--short', 'HEAD']).stdout.toString().trim() || 'other';
    suts.push(new ApplianceSut('127.0.0.2', 5060, other, { ip: '127.0.0.13', port: 5063 }, join(benchDir, 'sipp'), 18080, [], `appliance@${rev}`));
  }
  // Scale-out (issue 16): the same appliance pinned at N workers, one after the other, same rule.
  for (const n of args.applianceWorkers) {
    suts.push(new ApplianceSut('127.0.0.2', 5060, repo, { ip: '127.0.0.13', port: 5063 }, join(benchDir, 'sipp'), 18080,
      ['[control]', `min_workers = ${n}`, `max_workers = ${n}`], `appliance-${n}w`));
  }

  const tmp = mkdtempSync(join(tmpdir(), 'sip-cps-'));
  stopOnSignals(tmp);

  const t0 = Date.now();
  console.log(`sip-cps: ${navigator.hardwareConcurrency} cores, temp dir ${tmp}`);
  const rule = HONEST_RULE;
  console.log(`steps: calls ${args.o.stepSeconds} s, REGISTER ${args.o.regStepSeconds} s; sustained if < ${rule.maxFailRatio * 100}% failed, ` +
    `retransmissions < ${rule.maxRetransRatio * 100}% of requests, p99 <= ${rule.maxP99Ms} ms, offered >= ${rule.minOfferedRatio * 100}%`);
  console.log(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const results = new Map<string, Figures | string>();
  for (const sut of suts) {
    const ctx: SutContext = {
      dir: join(tmp, sut.name),
      trusted: [layout.caller.ip, layout.callee.ip],
      callee: '201',
      regUsers: Array.from({ length: args.users }, (_, i) => String(2000 + i)),
      password: 'Bench-Pass-2024',
      domain: 'office.lan',
    };
    mkdirSync(ctx.dir, { recursive: true });
    console.log(`\n== ${sut.name} (${sut.host}:${sut.port})`);
    try {
      await sut.start(ctx);
    } catch (e) {
      const msg = e instanceof SutUnavailable ? e.message : `failed to start: ${(e as Error).stack ?? e}`;
      console.log(`  SKIPPED: ${msg}`);
      results.set(sut.name, msg.split('\n')[0]);
      continue;
    }
    try {
      results.set(sut.name, await measureSut(sut, ctx, layout, scenarios, args.o, (l) => console.log(l)));
    } catch (e) {
      console.log(`  ERROR: ${(e as Error).stack ?? e}`);
      results.set(sut.name, `error: ${(e as Error).message}`);
    } finally {
      await sut.stop();
    }
  }
  await stopAll();

  console.log(`\nload average at end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  console.log(`finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(formatReport(results, suts.map((s) => s.name)));
  const failed = [...results.values()].some((r) => typeof r === 'string');
  if (failed || !args.keep) {
    if (args.keep || failed) console.log(`logs: ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  } else {
    console.log(`logs: ${tmp}`);
  }
  return failed ? 1 : 0;
}

process.exit(await main());
