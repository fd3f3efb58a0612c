/**
 * Buffered standard output: text is encoded into one large byte buffer that goes out in big
 * writes (printing a million lines one `write` at a time would cost more than decoding them),
 * and a closed pipe (`| head`) ends the run quietly, as tcpdump does.
 *
 * Besides strings, numbers and IPv4 addresses can be written as bytes directly (`decimal`,
 * `ipv4`): `-T fields` prints millions of them, and making a string of each costs more than
 * the decode.
 */
import { writeSync } from 'node:fs';

/** Bytes of the buffer; a string longer than a third of it is written on its own. */
const CAPACITY = 1 << 17;

/** ASCII digits and dots of 0..255, for dotted quads. */
const decimalBytes: Uint8Array[] = Array.from({ length: 256 }, (_, i) => Buffer.from(String(i), 'latin1'));

export class Output {
  private readonly buf = Buffer.allocUnsafe(CAPACITY);
  private pos = 0;
  closed = false;

  /** `limit`: bytes gathered before a write (1: every line goes out at once, as `-l` wants). */
  constructor(private readonly fd = 1, private readonly limit = 1 << 16) {}

  write(s: string): void {
    this.put(s);
    if (this.pos >= this.limit) this.flush();
  }

  line(s: string): void {
    this.put(s);
    this.newline();
  }

  /** Encodes `s` into the buffer (a long string goes out at once, after what is buffered). */
  private put(s: string): void {
    if (this.closed) return;
    // At most 3 bytes per UTF-16 unit.
    if (this.pos + s.length * 3 > CAPACITY) {
      this.flush();
      if (s.length * 3 > CAPACITY) {
        this.send(Buffer.from(s, 'utf8'));
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos);
  }

  /** Ends a line written piece by piece. */
  newline(): void {
    this.byte(10);
    if (this.pos >= this.limit) this.flush();
  }

  /** One byte (an ASCII character code). */
  byte(c: number): void {
    if (this.pos + 1 > CAPACITY) this.flush();
    this.buf[this.pos++] = c;
  }

  /** Decimal text of a number, as `String(n)` gives it. */
  decimal(n: number): void {
    if (!(n >= 0 && n <= 0xffffffffffff && Number.isInteger(n))) {
      this.write(String(n));
      return;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    if (this.pos + digits > CAPACITY) this.flush();
    const buf = this.buf;
    let at = this.pos + digits;
    this.pos = at;
    do {
      const q = Math.floor(n / 10);
      buf[--at] = 48 + n - q * 10;
      n = q;
    } while (n > 0);
  }

  /** Dotted-quad text of an IPv4 address held as an unsigned 32-bit number. */
  ipv4(a: number): void {
    if (this.pos + 15 > CAPACITY) this.flush();
    this.bytes(decimalBytes[a >>> 24]);
    this.buf[this.pos++] = 46;
    this.bytes(decimalBytes[(a >>> 16) & 255]);
    this.buf[this.pos++] = 46;
    this.bytes(decimalBytes[(a >>> 8) & 255]);
    this.buf[this.pos++] = 46;
    this.bytes(decimalBytes[a & 255]);
  }

  private bytes(b: Uint8Array): void {
    const buf = this.buf;
    for (let i = 0; i < b.length; i++) buf[this.pos++] = b[i];
  }

  flush(): void {
    if (this.pos === 0 || this.closed) {
      this.pos = 0;
      return;
    }
    const n = this.pos;
    this.pos = 0;
    this.send(this.buf.subarray(0, n));
  }

  private send(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length && !this.closed) {
      try {
        off += writeSync(this.fd, bytes, off, bytes.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        throw e;
      }
    }
  }
}

/** True when stdout should get colours: a terminal, and NO_COLOR not set. */
export function useColour(fd = 1): boolean {
  if (process.env.NO_COLOR !== undefined) return false;
  if (process.env.FORCE_COLOR) return true;
  return fd === 1 ? !!process.stdout.isTTY : !!process.stderr.isTTY;
}
