/**
 * Tokens of the display-filter language, cut as tshark 4.0's flex scanner (`epan/dfilter/
 * scanner.l`) cuts them: longest match wins, ties go to the earlier rule. So `10.0.0.1/24` is
 * one address token, `tcp.srcport-1` is one word (words may contain `-`), `tcp.srcport - 1`
 * is a subtraction, `8000..8100` is two numbers around `..`, and `1:3` is `1` then `:3`.
 *
 * @example
 * tokenize('tcp.port in {80, 443}').map((t) => t.kind);
 * // ['word', 'op', 'lbrace', 'word', 'comma', 'word', 'rbrace', 'eof']
 */
import { FilterError } from './error.js';

export type TokenKind =
  | 'word' // unparsed: a field name or a literal value, decided by the registry
  | 'literal' // an address or byte string: never a field
  | 'string' // "…" or r"…"
  | 'charconst' // 'a'
  | 'op' // every operator and keyword; `text` holds its canonical name
  | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'comma' | 'dotdot' | 'dollar'
  | 'slice' // `[…]` after an entity: the raw range nodes
  | 'layer' // `#2` or `#[1-2]` after a field
  | 'eof';

/** A range node as written inside `[…]`, before validation. */
export interface RangeText {
  text: string;
  pos: number;
}

export interface Token {
  kind: TokenKind;
  /** Offset of the first character in the filter text. */
  pos: number;
  /** Length of the token in the filter text. */
  len: number;
  /** Source text (the literal for words/literals, the canonical operator name for ops). */
  text: string;
  /** Strings: the value as a byte string (one char per byte); charconsts: unused. */
  value?: string;
  /** Raw string (`r"…"`). */
  raw?: boolean;
  /** Char constants: the code. */
  code?: number;
  /** Slices and layers: the range nodes. */
  ranges?: RangeText[];
  /** The word was preceded by a dot (`.tcp`): always a field name. */
  dotted?: boolean;
}

/** Operators and keywords, by their spellings, to the canonical name the parser uses. */
const symbolOps: Array<[string, string]> = [
  // Longest first: the scanner matches the longest spelling.
  ['===', 'all_eq'], ['!==', 'any_ne'],
  ['==', 'any_eq'], ['!=', 'all_ne'], ['~=', 'any_ne'], ['>=', 'ge'], ['<=', 'le'], ['&&', 'and'], ['||', 'or'],
  ['>', 'gt'], ['<', 'lt'], ['!', 'not'], ['~', 'matches'], ['&', 'bitwise_and'],
  ['+', 'plus'], ['-', 'minus'], ['*', 'star'], ['/', 'slash'], ['%', 'percent'],
];

const wordOps = new Map<string, string>([
  ['eq', 'any_eq'], ['any_eq', 'any_eq'], ['ne', 'all_ne'], ['all_ne', 'all_ne'], ['all_eq', 'all_eq'], ['any_ne', 'any_ne'],
  ['gt', 'gt'], ['ge', 'ge'], ['lt', 'lt'], ['le', 'le'], ['contains', 'contains'], ['matches', 'matches'],
  ['and', 'and'], ['or', 'or'], ['not', 'not'], ['in', 'in'], ['any', 'any'], ['all', 'all'], ['bitwise_and', 'bitwise_and'],
]);

// Token patterns (sticky), as scanner.l. Addresses and byte strings are LITERAL tokens.
const hex2 = '[0-9A-Fa-f]{2}';
const macColon = `${hex2}:${hex2}:${hex2}:${hex2}:${hex2}:${hex2}`;
const macHyphen = `${hex2}-${hex2}-${hex2}-${hex2}-${hex2}-${hex2}`;
const macDot = `${hex2}\\.${hex2}\\.${hex2}\\.${hex2}\\.${hex2}\\.${hex2}`;
const hex4 = '[0-9A-Fa-f]{4}';
const macQuad = `${hex4}\\.${hex4}\\.${hex4}`;
const decOctet = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const ipv4 = `${decOctet}\\.${decOctet}\\.${decOctet}\\.${decOctet}`;
/**
 * Is `s` an IPv6 address as scanner.l's IPv6Address pattern spells them (eight groups, or `::`
 * for a run of zero groups, the last 32 bits possibly as a dotted quad)? A hand matcher: the
 * equivalent regular expression costs ~30 ms to compile at the first filter.
 */
export function isIpv6Text(s: string): boolean {
  let groups = s;
  let tail = 0;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.') >= 0) {
    if (!new RegExp(`^${ipv4}$`).test(s.slice(lastColon + 1))) return false;
    groups = s.slice(0, lastColon + 1) + '0';
    tail = 1; // the dotted quad stands for two groups; '0' stands for one
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const part = (x: string) => (x === '' ? [] : x.split(':'));
  const left = part(halves[0]);
  const right = halves.length === 2 ? part(halves[1]) : [];
  if (![...left, ...right].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const n = left.length + right.length + tail;
  return halves.length === 2 ? n <= 7 : n === 8;
}

/** Longest IPv6 address (with an optional /prefix) at `pos`, or 0. */
function matchIpv6(text: string, pos: number): number {
  let end = pos;
  while (end < text.length && /[0-9A-Fa-f:.]/.test(text[end])) end++;
  for (let len = end - pos; len >= 2; len--) {
    const candidate = text.slice(pos, pos + len);
    if (candidate.includes('..') || !isIpv6Text(candidate)) continue;
    const prefix = /^\/[0-9]{1,3}/.exec(text.slice(pos + len));
    return len + (prefix ? prefix[0].length : 0);
  }
  return 0;
}

/** Literal rules in scanner order: [pattern, characters to drop at the start]. */
const literalRules: Array<[RegExp, number]> = [
  [new RegExp(`(?:${macColon}|${macHyphen}|${macDot}|${macQuad})`, 'y'), 0],
  [new RegExp(`${ipv4}(?:/[0-9]{1,2})?`, 'y'), 0],
  [new RegExp(`:?(?:${hex2}(?::${hex2})+|${hex2}:)`, 'y'), 0],
  [/:[0-9A-Fa-f]+/y, 1],
];
/** Identifiers and values: no leading `-`, no `..` inside, `-` allowed after the first char. */
const wordRule = /[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*/y;

/** Longest match among the literal rules and the word rule at `pos` (ties: earlier rule). */
function matchValue(text: string, pos: number): { kind: 'literal' | 'word'; len: number; drop: number } | null {
  let best: { kind: 'literal' | 'word'; len: number; drop: number } | null = null;
  for (const [re, drop] of literalRules) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m && (!best || m[0].length > best.len)) best = { kind: 'literal', len: m[0].length, drop };
  }
  const v6 = matchIpv6(text, pos);
  if (v6 && (!best || v6 > best.len)) best = { kind: 'literal', len: v6, drop: 0 };
  wordRule.lastIndex = pos;
  const w = wordRule.exec(text);
  if (w && (!best || w[0].length > best.len)) best = { kind: 'word', len: w[0].length, drop: 0 };
  return best;
}

/** Escapes of strings (scanner.l's DQUOTE rules). */
const simpleEscapes: Record<string, string> = {
  "'": "'", '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** UTF-8 bytes of a code point, as a byte string. */
export function utf8Bytes(s: string): string {
  // Fast path: ASCII text is its own byte string.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * Cuts a filter into tokens. Throws a FilterError (with the offending position) on an
 * unterminated string, a bad escape, a bad character constant or an unknown character.
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    switch (c) {
      case '(': out.push({ kind: 'lparen', pos: i, len: 1, text: c }); i++; continue;
      case ')': out.push({ kind: 'rparen', pos: i, len: 1, text: c }); i++; continue;
      case '{': out.push({ kind: 'lbrace', pos: i, len: 1, text: c }); i++; continue;
      case '}': out.push({ kind: 'rbrace', pos: i, len: 1, text: c }); i++; continue;
      case ',': out.push({ kind: 'comma', pos: i, len: 1, text: c }); i++; continue;
      case '$': out.push({ kind: 'dollar', pos: i, len: 1, text: c }); i++; continue;
      case '[': {
        const t = scanRanges(text, i + 1, i);
        out.push({ kind: 'slice', pos: i, len: t.end - i, text: text.slice(i, t.end), ranges: t.ranges });
        i = t.end;
        continue;
      }
      case '#': {
        let j = i + 1;
        if (text[j] === '[') {
          const t = scanRanges(text, j + 1, j);
          out.push({ kind: 'layer', pos: i, len: t.end - i, text: text.slice(i, t.end), ranges: t.ranges });
          i = t.end;
          continue;
        }
        if (j >= n) throw new FilterError(j, 0, 'The layer number or range was missing.');
        if (!/[0-9]/.test(text[j])) throw new FilterError(j, 1, `Expected digit or "[", not "${text[j]}"`);
        while (j < n && /[0-9]/.test(text[j])) j++;
        out.push({ kind: 'layer', pos: i, len: j - i, text: text.slice(i, j), ranges: [{ text: text.slice(i + 1, j), pos: i + 1 }] });
        i = j;
        continue;
      }
      case '"': {
        const s = scanString(text, i + 1, false, i);
        out.push({ kind: 'string', pos: i, len: s.end - i, text: text.slice(i, s.end), value: s.value, raw: false });
        i = s.end;
        continue;
      }
      case "'": {
        const s = scanCharConst(text, i);
        out.push({ kind: 'charconst', pos: i, len: s.end - i, text: text.slice(i, s.end), code: s.code });
        i = s.end;
        continue;
      }
      default:
        break;
    }
    if ((c === 'r' || c === 'R') && text[i + 1] === '"') {
      const s = scanString(text, i + 2, true, i);
      out.push({ kind: 'string', pos: i, len: s.end - i, text: text.slice(i, s.end), value: s.value, raw: true });
      i = s.end;
      continue;
    }
    if (c === '.' && text[i + 1] === '.') {
      out.push({ kind: 'dotdot', pos: i, len: 2, text: '..' });
      i += 2;
      continue;
    }
    if (c === '.') {
      // `.proto.field`: a field name however it looks.
      wordRule.lastIndex = i + 1;
      const w = wordRule.exec(text);
      if (!w) throw new FilterError(i, 1, '"." was unexpected in this context.');
      out.push({ kind: 'word', pos: i, len: w[0].length + 1, text: w[0], dotted: true });
      i += w[0].length + 1;
      continue;
    }
    const v = matchValue(text, i);
    if (v) {
      const word = text.slice(i + v.drop, i + v.len);
      const op = v.kind === 'word' ? wordOps.get(word) : undefined;
      if (op) out.push({ kind: 'op', pos: i, len: v.len, text: op });
      else out.push({ kind: v.kind, pos: i, len: v.len, text: word });
      i += v.len;
      continue;
    }
    const sym = symbolOps.find(([s]) => text.startsWith(s, i));
    if (sym) {
      out.push({ kind: 'op', pos: i, len: sym[0].length, text: sym[1] });
      i += sym[0].length;
      continue;
    }
    throw new FilterError(start, 1, `"${c}" was unexpected in this context.`);
  }
  out.push({ kind: 'eof', pos: n, len: 0, text: '' });
  return out;
}

/** Reads range nodes up to `]` (scanner.l's RANGE state: nodes split at commas). */
function scanRanges(text: string, from: number, open: number): { ranges: RangeText[]; end: number } {
  const ranges: RangeText[] = [];
  let i = from;
  let nodeStart = i;
  for (;;) {
    if (i >= text.length) throw new FilterError(open, 1, 'The right bracket was missing from a slice.');
    const c = text[i];
    if (c === ']' || c === ',') {
      ranges.push({ text: text.slice(nodeStart, i), pos: nodeStart });
      i++;
      if (c === ']') return { ranges, end: i };
      nodeStart = i;
      continue;
    }
    i++;
  }
}

/** Reads a quoted string body from `from` (after the opening quote); returns bytes and end. */
function scanString(text: string, from: number, raw: boolean, open: number): { value: string; end: number } {
  let value = '';
  let i = from;
  for (;;) {
    if (i >= text.length) throw new FilterError(open, 1, 'The final quote was missing from a quoted string.');
    const c = text[i];
    if (c === '"') return { value, end: i + 1 };
    if (c !== '\\') {
      // Plain text: its UTF-8 bytes (the filter is UTF-8 text, matched byte by byte).
      let j = i;
      while (j < text.length && text[j] !== '"' && text[j] !== '\\') j++;
      value += utf8Bytes(text.slice(i, j));
      i = j;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) throw new FilterError(open, 1, 'The final quote was missing from a quoted string.');
    if (raw) {
      // Raw strings keep the backslash; `\"` and `\\` only stop the quote from ending the string.
      value += '\\' + utf8Bytes(e);
      i += 2;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4)))) {
      const code = parseInt(m[0], 8);
      if (code > 0xff) throw new FilterError(i, m[0].length + 1, `\\${m[0]} is larger than 255.`);
      value += String.fromCharCode(code);
      i += 1 + m[0].length;
    } else if (e === 'x' && (m = /^[0-9A-Fa-f]{1,2}/.exec(text.slice(i + 2, i + 4)))) {
      value += String.fromCharCode(parseInt(m[0], 16));
      i += 2 + m[0].length;
    } else if (e === 'u' || e === 'U') {
      const width = e === 'u' ? 4 : 8;
      const digits = /^[0-9A-Fa-f]*/.exec(text.slice(i + 2, i + 2 + width))![0];
      if (digits.length !== width) throw new FilterError(i, 2 + digits.length, `\\${e}${digits} must be followed by ${width} hexadecimal digits.`);
      const cp = parseInt(digits, 16);
      // C's rule for universal character names (tshark 4.0 follows it): nothing below U+00A0
      // but $ @ `, no surrogates.
      const basic = cp < 0xa0 && cp !== 0x24 && cp !== 0x40 && cp !== 0x60;
      if (basic || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new FilterError(i, 2 + width, `\\${e}${digits} is not a valid universal character name`);
      value += utf8Bytes(String.fromCodePoint(cp));
      i += 2 + width;
    } else if (e in simpleEscapes) {
      value += simpleEscapes[e];
      i += 2;
    } else {
      throw new FilterError(i, 2, `\\${e} is not a valid character escape sequence`);
    }
  }
}

/**
 * Reads a character constant `'x'`. tshark 4.0 accepts one character, `\xNN`, `\NNN` and the
 * C escapes except `\n` (a 4.0 quirk: `'\n'` is rejected as "too long"; we reject it too).
 */
function scanCharConst(text: string, open: number): { code: number; end: number } {
  let i = open + 1;
  let body = '';
  for (;;) {
    if (i >= text.length) throw new FilterError(open, 1, 'The final quote was missing from a character constant.');
    const c = text[i];
    if (c === "'") break;
    if (c === '\\' && i + 1 < text.length) {
      body += c + text[i + 1];
      i += 2;
      continue;
    }
    body += c;
    i++;
  }
  const end = i + 1;
  const whole = text.slice(open, end);
  const len = end - open;
  if (body.length === 0) throw new FilterError(open, len, 'Empty character constant.');
  let m: RegExpExecArray | null;
  let code: number | undefined;
  if (body.length === 1 && body !== '\\') code = utf8Bytes(body).length === 1 ? body.charCodeAt(0) : undefined;
  else if ((m = /^\\x([0-9A-Fa-f]{1,2})$/.exec(body))) code = parseInt(m[1], 16);
  else if ((m = /^\\([0-7]{1,3})$/.exec(body))) code = parseInt(m[1], 8);
  else if (body.length === 2 && body[0] === '\\' && body[1] !== 'n' && body[1] in simpleEscapes) code = simpleEscapes[body[1]].charCodeAt(0);
  if (code === undefined || code > 0xff) throw new FilterError(open, len, `${whole} is too long to be a valid character constant.`);
  return { code, end };
}
