/**
 * Manual measurement (not a test): cost of host samples on this machine.
 *   node_modules/.bin/bun test/system/sensors/sampler-cost.ts [samples=20] [intervalMs=500] [--uncached]
 * Prints the first sample's wall time and, for steady samples: wall time, CPU per sample of this
 * process and of the shell commands systeminformation runs (children, from /proc/self/stat, 10 ms
 * resolution), both over an idle baseline, and the longest event-loop stall while sampling
 * (systeminformation runs its shell commands with execSync). --uncached reads temperature and
 * disk on every sample too.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHostSampler } from '../../../system/sensors/host-sampler.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const uncached = process.argv.includes('--uncached');
const n = Number(args[0] ?? 20);
const intervalMs = Number(args[1] ?? 500);
const sampler = createHostSampler({
  dataDir: tmpdir(),
  ...(uncached ? { temperatureMaxAgeMs: 0, temperatureAbsentMaxAgeMs: 0, diskMaxAgeMs: 0 } : {}),
});

/** [own, children] CPU ms so far (clock ticks of 10 ms). */
function cpuMs(): [number, number] {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // after "pid (comm) ": state=0 ... utime=11 stime=12 cutime=13 cstime=14
  return [(Number(f[11]) + Number(f[12])) * 10, (Number(f[13]) + Number(f[14])) * 10];
}

let t0 = performance.now();
const first = await sampler.sample();
console.log(`first sample ${(performance.now() - t0).toFixed(0)} ms`, JSON.stringify(first));

// Pass 1: CPU and wall time.
const walls: number[] = [];
const [own0, kids0] = cpuMs();
for (let i = 0; i < n; i++) {
  await Bun.sleep(intervalMs);
  t0 = performance.now();
  await sampler.sample();
  walls.push(performance.now() - t0);
}
const [own1, kids1] = cpuMs();
for (let i = 0; i < n; i++) await Bun.sleep(intervalMs);
const [own2, kids2] = cpuMs();
const ownPer = (own1 - own0 - (own2 - own1)) / n;
const kidsPer = (kids1 - kids0 - (kids2 - kids1)) / n;

// Pass 2: event-loop stalls (a 1 ms interval timer; its own CPU would spoil pass 1).
let maxGap = 0;
let last = performance.now();
const iv = setInterval(() => {
  const now = performance.now();
  maxGap = Math.max(maxGap, now - last);
  last = now;
}, 1);
const stalls: number[] = [];
for (let i = 0; i < n; i++) {
  await Bun.sleep(intervalMs);
  maxGap = 0;
  last = performance.now();
  await sampler.sample();
  await Bun.sleep(5);
  stalls.push(maxGap);
}
clearInterval(iv);
walls.sort((a, b) => a - b);
stalls.sort((a, b) => a - b);
console.log(
  `${uncached ? 'uncached' : 'cached'} steady samples (${n}, every ${intervalMs} ms): wall p50 ${walls[Math.floor(n / 2)]!.toFixed(1)} / max ${walls[n - 1]!.toFixed(1)} ms;` +
    ` CPU per sample: own ${ownPer.toFixed(1)} ms + child processes ${kidsPer.toFixed(1)} ms;` +
    ` event-loop stall p50 ${stalls[Math.floor(n / 2)]!.toFixed(1)} / max ${stalls[n - 1]!.toFixed(1)} ms`,
);
