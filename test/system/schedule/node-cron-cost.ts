/**
 * Manual measurement (not a test): CPU node-cron costs per tick, through `every()`.
 *   node_modules/.bin/bun test/system/schedule/node-cron-cost.ts [seconds=30]
 * Runs three child processes side by side for the same wall time: a no-op `every('*\/1 * * * * *')`,
 * the same with timezone UTC, and a `setInterval(1000)` baseline; prints each one's process CPU per
 * tick. node-cron's own cost per tick = cron − baseline.
 */
import { every } from '../../../system/schedule/schedule.ts';

const [mode, secsArg] = process.argv.slice(2);
if (mode === 'interval' || mode === 'cron' || mode === 'utc') {
  const secs = Number(secsArg);
  let ticks = 0;
  await Bun.sleep(1050 - (Date.now() % 1000));
  const c0 = process.cpuUsage();
  let stop: () => void;
  if (mode === 'interval') {
    const iv = setInterval(() => void ticks++, 1000);
    stop = () => clearInterval(iv);
  } else {
    const job = every('*/1 * * * * *', () => void ticks++, mode === 'utc' ? { timezone: 'UTC' } : {});
    stop = () => job.stop();
  }
  await Bun.sleep(secs * 1000);
  const cu = process.cpuUsage(c0);
  stop();
  console.log(JSON.stringify({ mode, ticks, cpuMsPerTick: (cu.user + cu.system) / ticks / 1000 }));
  process.exit(0);
} else {
  const secs = Number(mode ?? 30);
  const run = (m: string) =>
    new Response(Bun.spawn([process.execPath, import.meta.path, m, String(secs)], { stdout: 'pipe' }).stdout).json() as Promise<{ mode: string; ticks: number; cpuMsPerTick: number }>;
  const results = await Promise.all(['interval', 'cron', 'utc'].map(run));
  for (const r of results) console.log(`${r.mode.padEnd(8)} ticks ${r.ticks}  CPU ${r.cpuMsPerTick.toFixed(3)} ms/tick`);
  const base = results[0].cpuMsPerTick;
  console.log(`node-cron per tick over baseline: ${(results[1].cpuMsPerTick - base).toFixed(3)} ms (local zone), ${(results[2].cpuMsPerTick - base).toFixed(3)} ms (UTC)`);
}
