import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * How many bytes wait in the kernel's receive buffers of this worker's UDP sockets: the backlog
 * the worker has not read yet (issue 12). The event-loop lag does not show it: a worker that
 * reads a datagram per turn of its loop keeps its timers on time while its socket buffer
 * (SO_RCVBUF 4 MB, doubled by the kernel) fills; measured with bench/faults at 3,000 calls/s
 * from one socket: 7.4 MB queued on the shared port and 6.4 MB on the worker's own Via port,
 * about 2 s of work, while the lag stayed below the shedding threshold. Linux only: the
 * `rx_queue` column of /proc/net/udp and /proc/net/udp6 (sk_rmem_alloc, bytes as the kernel
 * accounts them), for the sockets whose inode this process holds.
 */
export interface UdpSocketRow {
  readonly port: number;
  readonly inode: number;
  /** Bytes queued for reading. */
  readonly rxQueue: number;
  /** Datagrams the kernel dropped for this socket (buffer full), since it was opened. */
  readonly drops: number;
}

/**
 * The rows of a /proc/net/udp or /proc/net/udp6 text whose local port is one of `ports`
 * (`sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops`).
 */
export function parseUdpTable(text: string, ports: ReadonlySet<number>): UdpSocketRow[] {
  const rows: UdpSocketRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13 || !f[0].endsWith(':')) continue;
    const colon = f[1].lastIndexOf(':');
    const port = Number.parseInt(f[1].slice(colon + 1), 16);
    if (!ports.has(port)) continue;
    const queues = f[4].split(':');
    const rxQueue = Number.parseInt(queues[1] ?? '', 16);
    const inode = Number(f[9]);
    const drops = Number(f[f.length - 1]);
    if (!Number.isFinite(rxQueue) || !Number.isFinite(inode)) continue;
    rows.push({ port, inode, rxQueue, drops: Number.isFinite(drops) ? drops : 0 });
  }
  return rows;
}

/** The inodes of the sockets this process has open (`socket:[N]` links in /proc/self/fd). */
function ownSocketInodes(): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed between the listing and the link
    }
  }
  return inodes;
}

/** Rescans of /proc/self/fd at most this often (a worker with thousands of TCP connections has as many links). */
const RESCAN_MS = 1000;

/**
 * The edge: `read()` sums the receive queues of this process's UDP sockets on `ports()`. The
 * sockets of sibling workers share the SIP port (SO_REUSEPORT) and appear in the same table;
 * only inodes this process holds count. Which inodes are ours is learnt from /proc/self/fd when
 * a row with an unknown inode appears (a socket opened or reopened), at most once a second.
 * Where /proc cannot be read, `available` is false and `read()` returns 0 (the lag still sheds).
 */
export class ReceiveQueue {
  private ours = new Set<number>();
  private theirs = new Set<number>();
  private scannedAt = -Infinity;
  available = true;
  /** Kernel drops on our sockets at the last read (reports). */
  drops = 0;

  constructor(
    private readonly ports: () => readonly number[],
    private readonly now: () => number = () => performance.now(),
    private readonly readTable: (path: string) => string = (p) => readFileSync(p, 'latin1'),
    private readonly socketInodes: () => Set<number> = ownSocketInodes,
  ) {}

  read(): number {
    if (!this.available) return 0;
    const ports = new Set(this.ports().filter((p) => p > 0));
    let rows: UdpSocketRow[];
    try {
      rows = [...parseUdpTable(this.readTable('/proc/net/udp'), ports), ...parseUdpTable(this.tryRead('/proc/net/udp6'), ports)];
    } catch {
      this.available = false;
      return 0;
    }
    if (rows.some((r) => !this.ours.has(r.inode) && !this.theirs.has(r.inode)) && this.now() - this.scannedAt >= RESCAN_MS) this.learn(rows);
    let bytes = 0;
    let drops = 0;
    for (const r of rows) {
      if (!this.ours.has(r.inode)) continue;
      bytes += r.rxQueue;
      drops += r.drops;
    }
    this.drops = drops;
    return bytes;
  }

  private tryRead(path: string): string {
    try {
      return this.readTable(path);
    } catch {
      return ''; // no IPv6 in this kernel
    }
  }

  private learn(rows: readonly UdpSocketRow[]): void {
    this.scannedAt = this.now();
    let held: Set<number>;
    try {
      held = this.socketInodes();
    } catch {
      this.available = false;
      return;
    }
    this.ours = new Set();
    this.theirs = new Set();
    for (const r of rows) (held.has(r.inode) ? this.ours : this.theirs).add(r.inode);
  }
}
