import { timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import type { SiblingLoad } from '../pipeline/spread-choice.ts';
import type { Source } from '../message/types.ts';

/** A sibling worker's inbox, as the control section announces it. */
export interface SiblingInbox {
  readonly workerId: number;
  readonly port: number;
}

/** The inbox address: loopback only, so nothing off this host can reach it (Linux drops 127/8 from the wire). */
const INBOX_HOST = '127.0.0.1';
const KEY_BYTES = 16;
const KIND_REQUEST = 0x52; // 'R'
const KIND_BEACON = 0x4c; // 'L'

/**
 * The direct link between the connection control sections of one appliance (issue 12, one hot
 * flow across workers): each worker has an inbox, a UDP socket on 127.0.0.1, where siblings
 * send it
 * - requests they hand over: the datagram as it came, with the address and port it came from,
 *   delivered to the SIP service as if it had arrived here (its responses leave from the
 *   shared port, so the sender sees the same appliance address);
 * - beacons: the sibling's admitted share and lag, every 50 ms (load-monitor.ts ticks), from
 *   which a saturated worker picks a calm one (pipeline/spread-choice.ts).
 * Not through the control section: that hop would cost two IPC messages a request. Every frame
 * starts with a key the control section gives its workers at start; a frame without it is
 * dropped (another local process cannot inject requests as if from a phone).
 */
export class SiblingLink {
  private sock?: dgram.Socket;
  private key?: Buffer;
  private inboxes = new Map<number, number>();
  private readonly loads = new Map<number, SiblingLoad>();
  /** Frames dropped for a missing or wrong key, or unreadable. */
  rejected = 0;
  /** Requests handed over to us by siblings. */
  received = 0;
  port = 0;

  constructor(
    private readonly workerId: number,
    private readonly deliver: (data: Buffer, source: Source) => void,
    private readonly sharedPort: () => number,
  ) {}

  async open(): Promise<number> {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 } as dgram.SocketOptions);
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, INBOX_HOST, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', () => { /* per-datagram errors are not fatal */ });
    sock.on('message', (msg) => {
      try {
        this.onFrame(msg);
      } catch {
        this.rejected++;
      }
    });
    this.sock = sock;
    this.port = sock.address().port;
    return this.port;
  }

  /** The key and the siblings' inboxes (ours left out), from the control section. */
  setSiblings(keyHex: string, inboxes: readonly SiblingInbox[]): void {
    const key = Buffer.from(keyHex, 'hex');
    this.key = key.length === KEY_BYTES ? key : undefined;
    this.inboxes = new Map(inboxes.filter((i) => i.workerId !== this.workerId).map((i) => [i.workerId, i.port]));
    for (const id of [...this.loads.keys()]) if (!this.inboxes.has(id)) this.loads.delete(id);
  }

  /** The siblings' last beacons. */
  siblingLoads(): SiblingLoad[] {
    return [...this.loads.values()];
  }

  /** Whether a sibling's beacon came within `ms` (a stopped or stuck worker is not handed more). */
  heardWithin(workerId: number, ms: number, now = performance.now()): boolean {
    const b = this.loads.get(workerId);
    return b !== undefined && now - b.at <= ms;
  }

  get hasSiblings(): boolean {
    return this.inboxes.size > 0 && this.key !== undefined;
  }

  /** Hands one request datagram to a sibling; false when it cannot be sent. */
  hand(workerId: number, data: Buffer, source: Source): boolean {
    const port = this.inboxes.get(workerId);
    if (!this.sock || !this.key || port === undefined) return false;
    const head = Buffer.from(`${source.address} ${source.port}\n`, 'latin1');
    try {
      this.sock.send([this.key, Buffer.of(KIND_REQUEST), head, data], port, INBOX_HOST);
    } catch {
      return false;
    }
    return true;
  }

  /** Tells every sibling our admitted share and lag. */
  beacon(share: number, lagMs: number): void {
    if (!this.sock || !this.key) return;
    const body = Buffer.from(`${this.workerId} ${share.toFixed(3)} ${lagMs.toFixed(1)}`, 'latin1');
    for (const port of this.inboxes.values()) {
      try {
        this.sock.send([this.key, Buffer.of(KIND_BEACON), body], port, INBOX_HOST);
      } catch {
        // the next beacon tries again
      }
    }
  }

  async close(): Promise<void> {
    const sock = this.sock;
    this.sock = undefined;
    if (sock) await new Promise<void>((r) => sock.close(() => r()));
  }

  private onFrame(msg: Buffer): void {
    if (!this.key || msg.length < KEY_BYTES + 2 || !timingSafeEqual(msg.subarray(0, KEY_BYTES), this.key)) {
      this.rejected++;
      return;
    }
    const kind = msg[KEY_BYTES];
    const body = msg.subarray(KEY_BYTES + 1);
    if (kind === KIND_BEACON) {
      const [id, share, lag] = body.toString('latin1').split(' ').map(Number);
      if (!this.inboxes.has(id) || !Number.isFinite(share) || !Number.isFinite(lag)) return void this.rejected++;
      this.loads.set(id, { workerId: id, share, lagMs: lag, at: performance.now() });
      return;
    }
    if (kind !== KIND_REQUEST) return void this.rejected++;
    const nl = body.indexOf(0x0a);
    const [address, port] = nl > 0 ? body.toString('latin1', 0, nl).split(' ') : [];
    const p = Number(port);
    if (!address || !Number.isInteger(p) || p < 1 || p > 65535) return void this.rejected++;
    this.received++;
    this.deliver(body.subarray(nl + 1), { transport: 'udp', address, port: p, localPort: this.sharedPort(), handed: true });
  }
}
