/** Runs dig against a local server; returns stdout. Bounded by dig's own +time/+tries. */
export async function dig(port: number, ...args: string[]): Promise<string> {
  const p = Bun.spawn(['dig', '-p', String(port), '@127.0.0.1', '+tries=1', '+time=2', ...args], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out;
}

/** `dig +short` lines. */
export async function digShort(port: number, name: string, type: string, ...args: string[]): Promise<string[]> {
  return (await dig(port, '+short', ...args, name, type)).split('\n').filter((l) => l !== '');
}

/** The status word of the header line (NOERROR, NXDOMAIN, REFUSED...). */
export function status(out: string): string | undefined {
  return /status: (\w+)/.exec(out)?.[1];
}

/** The flags of the header line ("qr aa rd"). */
export function flags(out: string): string[] {
  return (/;; flags: ([a-z ]+);/.exec(out)?.[1] ?? '').trim().split(/\s+/);
}
