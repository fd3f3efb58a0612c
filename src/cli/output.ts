/**
 * Buffered standard output: lines are gathered into large writes (printing a million lines
 * one `write` at a time would cost more than decoding them), and a closed pipe (`| head`)
 * ends the run quietly, as tcpdump does.
 */
import { writeSync } from 'node:fs';

export class Output {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly fd = 1, private readonly limit = 1 << 16) {}

  write(s: string): void {
    if (this.closed) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= this.limit) this.flush();
  }

  line(s: string): void {
    this.write(s + '\n');
  }

  flush(): void {
    if (!this.parts.length || this.closed) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
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
