/**
 * strftime(3) for capture file names (tcpdump's -G: `-w trace-%Y%m%d-%H%M%S.pcap`), in local
 * time as tcpdump does. The conversions a file name needs; an unknown one is kept as written.
 *
 * @example
 * strftime('trace-%Y%m%d-%H%M%S', new Date(Date.UTC(2024, 0, 2, 3, 4, 5))); // 'trace-20240102-030405' with TZ=UTC
 */
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(start.getFullYear(), 0, 1)) / 86400000) + 1;
}

function offset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}${pad(a % 60)}`;
}

/** Expands %-conversions of `format` for time `d`. */
export function strftime(format: string, d: Date): string {
  return format.replace(/%([%a-zA-Z])/g, (whole, c: string) => {
    switch (c) {
      case '%': return '%';
      case 'Y': return String(d.getFullYear());
      case 'y': return pad(d.getFullYear() % 100);
      case 'C': return pad(Math.floor(d.getFullYear() / 100));
      case 'm': return pad(d.getMonth() + 1);
      case 'd': return pad(d.getDate());
      case 'e': return pad(d.getDate(), 2, ' ');
      case 'H': return pad(d.getHours());
      case 'I': return pad(((d.getHours() + 11) % 12) + 1);
      case 'M': return pad(d.getMinutes());
      case 'S': return pad(d.getSeconds());
      case 'j': return pad(dayOfYear(d), 3);
      case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
      case 'a': return DAYS[d.getDay()].slice(0, 3);
      case 'A': return DAYS[d.getDay()];
      case 'b': case 'h': return MONTHS[d.getMonth()].slice(0, 3);
      case 'B': return MONTHS[d.getMonth()];
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'u': return String(d.getDay() === 0 ? 7 : d.getDay());
      case 'w': return String(d.getDay());
      case 'z': return offset(d);
      case 'F': return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      case 'T': return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
      case 'R': return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
      default: return whole;
    }
  });
}
