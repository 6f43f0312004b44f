/**
 * One sample of the host's health (DESIGN.md "operating state", per host part). A sensor the
 * hardware lacks is `null` ("unavailable"), never 0.
 */
export interface HostSample {
  /** Epoch milliseconds when the sample was taken. */
  readonly ts: number;
  /** Whole-host CPU use, percent 0..100 (all cores). */
  readonly cpuPercent: number | null;
  /** Per-core CPU use, percent. */
  readonly cpuPerCore: readonly number[];
  readonly memory: { readonly totalBytes: number; readonly usedBytes: number; readonly availableBytes: number } | null;
  /** Temperatures in °C; null when the hardware has no such sensor. */
  readonly temperatures: { readonly cpu: number | null; readonly cpuMax: number | null; readonly chipset: number | null };
  /** Disk use of the file system holding the data directory. */
  readonly disk: { readonly mount: string; readonly sizeBytes: number; readonly usedBytes: number; readonly usePercent: number } | null;
}
