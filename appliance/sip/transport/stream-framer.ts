/**
 * Frames SIP messages on a byte stream (RFC 3261 §18.3): headers end at the first blank line,
 * the body is Content-Length bytes. Limits keep a hostile peer from growing the buffer: at most
 * MAX_HEADER_BYTES of headers and MAX_MESSAGE_BYTES of message are ever held for one connection
 * (the same bound UDP has by its datagram size, RFC 3261 §18.1.1).
 */
export const MAX_HEADER_BYTES = 16384;
export const MAX_MESSAGE_BYTES = 65536;

const CL_ANY = /^(?:content-length|l)[ \t]*:/gim;
const CL = /^(?:content-length|l)[ \t]*:[ \t]*(-?\d+)[ \t]*$/im;
/** The keep-alive ping, CRLFCRLF, between messages (RFC 5626 §4.4.1). */
const PING = [13, 10, 13, 10];

/** Result of feeding bytes: complete messages, pings to answer, and an error that must close the connection. */
export interface FrameResult {
  readonly messages: Buffer[];
  /** CRLFCRLF keep-alive pings seen between messages; each is answered with a CRLF pong. */
  readonly pings: number;
  readonly error?: string;
  /**
   * The header block of a message refused for its size, when the headers were readable:
   * the caller can answer 513 Message Too Large (RFC 3261 §21.5.11) before closing.
   */
  readonly tooLarge?: Buffer;
}

/** One framer per connection. */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** How much of a PING has been seen in the CR/LF run between messages. */
  private pingAt = 0;

  /** True while part of a message is held (its first byte came, its last did not). */
  get inProgress(): boolean {
    return this.buf.length > 0;
  }

  push(chunk: Buffer): FrameResult {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const messages: Buffer[] = [];
    let pings = 0;
    for (;;) {
      // CRLFs between messages are keep-alives (RFC 5626 §3.5.1, §4.4.1): skipped, pings counted.
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 13 || this.buf[start] === 10)) {
        const byte = this.buf[start++];
        this.pingAt = byte === PING[this.pingAt] ? this.pingAt + 1 : byte === 13 ? 1 : 0;
        if (this.pingAt === PING.length) {
          pings++;
          this.pingAt = 0;
        }
      }
      if (start > 0) this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) break;
      this.pingAt = 0;
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > MAX_HEADER_BYTES) return this.fail(messages, pings, 'headers too large');
        break;
      }
      const head = this.buf.subarray(0, end);
      if (end > MAX_HEADER_BYTES) return this.fail(messages, pings, 'headers too large', head);
      const text = head.toString('latin1');
      const m = CL.exec(text);
      // Content-Length is mandatory on streams (RFC 3261 §20.14); absent or negative: broken framing.
      if (!m) return this.fail(messages, pings, 'missing Content-Length on a stream');
      const len = Number(m[1]);
      if (len < 0) return this.fail(messages, pings, 'bad Content-Length on a stream');
      if ((text.match(CL_ANY) ?? []).length > 1) {
        return this.fail(messages, pings, 'several Content-Length headers on a stream');
      }
      const total = end + 4 + len;
      if (total > MAX_MESSAGE_BYTES) return this.fail(messages, pings, 'message too large', head);
      if (this.buf.length < total) break;
      messages.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    return { messages, pings };
  }

  /** A framing error: the stream cannot be resynchronised, so nothing more is buffered. */
  private fail(messages: Buffer[], pings: number, error: string, tooLarge?: Buffer): FrameResult {
    this.buf = Buffer.alloc(0);
    return tooLarge ? { messages, pings, error, tooLarge: Buffer.from(tooLarge) } : { messages, pings, error };
  }
}
