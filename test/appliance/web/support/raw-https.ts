import net from 'node:net';
import tls from 'node:tls';

/** What a raw HTTP/1.1 exchange gave: the status line's code, headers, body text, timing. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Milliseconds from sending the head to the first answer byte. */
  readonly ms: number;
  /** Whether the server closed the connection within the wait. */
  readonly closed: boolean;
  /** The certificate the server presented (TLS only), as node:tls reports it. */
  readonly fingerprint256?: string;
}

export interface RawRequest {
  readonly host: string;
  readonly port: number;
  /** Source address to bind (a loopback address of this test's own). */
  readonly localAddress?: string;
  readonly tls?: boolean;
  /** The request head and any first body bytes, sent at once. */
  readonly head: string;
  /** More body pieces, sent one after another while the connection is open. */
  readonly more?: readonly string[];
  /** How long to wait for an answer (and the server's close). */
  readonly waitMs?: number;
  /** How long to wait after a complete answer, to see whether the server closes (default 300 ms). */
  readonly closeWaitMs?: number;
}

/**
 * Speaks HTTP/1.1 by hand over TCP or TLS (certificate not verified: the tests read its
 * fingerprint instead), so a test can send what fetch never would: a forged Host header, a
 * Content-Length it does not follow with a body, a chunked body that never ends.
 */
export function rawRequest(r: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let firstByteAt = 0;
    let data = '';
    let done = false;
    let fingerprint256: string | undefined;
    const opts = { host: r.host, port: r.port, localAddress: r.localAddress };
    const sock: net.Socket = r.tls
      ? tls.connect({ ...opts, rejectUnauthorized: false }, onConnect)
      : net.connect(opts, onConnect);
    const timer = setTimeout(() => finish(false), r.waitMs ?? 3000);
    function onConnect() {
      if (r.tls) fingerprint256 = (sock as tls.TLSSocket).getPeerCertificate().fingerprint256;
      sock.write(r.head);
      const more = [...(r.more ?? [])];
      const pump = () => {
        const piece = more.shift();
        if (piece === undefined || sock.destroyed || done) return;
        sock.write(piece, () => setTimeout(pump, 1));
      };
      pump();
    }
    sock.on('data', (d) => {
      if (!firstByteAt) firstByteAt = performance.now();
      data += d.toString('latin1');
      // A complete answer: wait a moment longer only to see whether the server closes.
      if (complete(data)) setTimeout(() => finish(false), r.closeWaitMs ?? 300);
    });
    sock.on('close', () => finish(true));
    sock.on('error', (e) => {
      if (data) finish(true);
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(e);
      }
    });
    function finish(closed: boolean) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const [head, ...rest] = data.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status, headers, body: rest.join('\r\n\r\n'), ms: firstByteAt ? firstByteAt - t0 : -1, closed, fingerprint256 });
    }
  });
}

/** A request head with the given method, path, Host and extra header lines. */
export function head(method: string, path: string, host: string, headers: Record<string, string> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Whether `data` holds a whole response (head, and the body its Content-Length announces). */
function complete(data: string): boolean {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(data.slice(0, end))?.[1];
  return length === undefined ? /^HTTP\/1\.[01] (1\d\d|204|304)/.test(data) || /\r\n0\r\n\r\n$/.test(data) : data.length - end - 4 >= Number(length);
}
