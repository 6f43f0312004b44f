/**
 * Frames SIP messages on a byte stream (RFC 3261 §18.3): headers end at the first blank line,
 * the body is Content-Length bytes. Limits keep a hostile peer from growing the buffer.
 */
export const MAX_HEADER_BYTES = 65536;
export const MAX_BODY_BYTES = 1 << 20;

const CL_ANY = /^(?:content-length|l)[ \t]*:/gim;
const CL = /^(?:content-length|l)[ \t]*:[ \t]*(-?\d+)[ \t]*$/im;

/** Result of feeding bytes: complete messages, and an error that must close the connection. */
export interface FrameResult {
  readonly messages: Buffer[];
  readonly error?: string;
}

/** One framer per connection. */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): FrameResult {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const messages: Buffer[] = [];
    for (;;) {
      // Skip CRLF keep-alives between messages (RFC 5626 §3.5.1).
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 13 || this.buf[start] === 10)) start++;
      if (start > 0) this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) break;
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > MAX_HEADER_BYTES) return { messages, error: 'headers too large' };
        break;
      }
      const head = this.buf.toString('latin1', 0, end);
      const m = CL.exec(head);
      // Content-Length is mandatory on streams (RFC 3261 §20.14); absent or negative: broken framing.
      if (!m) return { messages, error: 'missing Content-Length on a stream' };
      const len = Number(m[1]);
      if (len < 0 || len > MAX_BODY_BYTES) return { messages, error: 'bad Content-Length on a stream' };
      if ((head.match(CL_ANY) ?? []).length > 1) {
        return { messages, error: 'several Content-Length headers on a stream' };
      }
      const total = end + 4 + len;
      if (this.buf.length < total) break;
      messages.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    return { messages };
  }
}
