/**
 * `matches` patterns: PCRE2 (what tshark 4.0 uses, compiled CASELESS and without UTF) turned
 * into JavaScript regular expressions that run over byte strings (one char per byte, no `u`
 * flag), so `.` is one byte and non-ASCII text in a pattern matches its UTF-8 bytes, as in tshark.
 *
 * Translated: a leading `(?flags)` / `(?-flags)` group (i, s, m, x; case-insensitive is the
 * default), `\A \z \Z`, `\Q…\E`, `\h \H \v \V \R \e`, `\x{…}`, POSIX classes (`[[:alpha:]]`),
 * `(?P<name>`, `(?#…)` comments, and the PCRE meaning of `.`, `$` and `\s` (JavaScript's
 * differ). Possessive quantifiers and atomic groups are emulated with the lookahead-capture
 * idiom. Recursion, conditionals, `\K`, callouts and backtracking verbs are rejected.
 *
 * Catastrophic backtracking: the process enables V8's
 * `--enable-experimental-regexp-engine-on-excessive-backtracks`, so a pattern such as `(a+)+$`
 * switches to V8's linear-time engine after a bounded number of backtracks instead of running
 * for exponential time (100 000 bytes of `a` take about a second, not forever). That engine
 * cannot ignore case, so case-insensitivity is spelled out in the pattern (`a` → `[aA]`: exact,
 * since PCRE without UTF folds ASCII letters only). It cannot run backreferences, lookarounds
 * or large counted repeats either; a pattern that needs those and nests repetition
 * (`(a+)+\1`, `(a{1,9})*b(?=c)`) is rejected at compile time, as the only kind that could still
 * backtrack without bound.
 */
import v8 from 'node:v8';

let enginesConfigured = false;

/** Turns on V8's linear-time engine (the `l` flag) and its fallback for runaway backtracking. */
function configureEngines(): void {
  if (enginesConfigured) return;
  enginesConfigured = true;
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  v8.setFlagsFromString('--regexp-backtracks-before-fallback=100000');
}

export class RegexError extends Error {}

const posixClasses: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: '\\t\\n\\v\\f\\r ', blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~', print: ' -~', graph: '!-~', cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f', word: 'A-Za-z0-9_', ascii: '\\x00-\\x7f',
};

const pcreSpace = '\\t\\n\\v\\f\\r ';

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  x: boolean;
}

/** Compiles a tshark `matches` pattern (a byte string) into a RegExp over byte strings. */
export function compilePattern(pattern: string): RegExp {
  configureEngines();
  let flags: Flags = { i: true, s: false, m: false, x: false };
  let p = pattern;
  // Leading option settings apply to the whole pattern (the common `(?i)`, `(?-i)` forms).
  for (;;) {
    const m = /^\(\?([imsx]*)(?:-([imsx]*))?\)/.exec(p);
    if (!m || (!m[1] && m[2] === undefined)) break;
    for (const c of m[1]) flags = { ...flags, [c]: true };
    for (const c of m[2] ?? '') flags = { ...flags, [c]: false };
    p = p.slice(m[0].length);
  }
  const jsFlags = flags.m ? 'm' : '';
  // Preferred: case folded in the pattern, runnable by the linear-time engine.
  const folded = translate(p, flags, flags.i);
  if (linear(folded.source, jsFlags)) return build(folded.source, jsFlags);
  // Needs backtracking (backreferences, lookarounds…): refuse what could backtrack without bound.
  const t = translate(p, flags, false);
  if (t.nestedRepetition) {
    throw new RegexError('pattern needs backtracking (backreferences, lookarounds or large counted repeats) and nests repetition, which could take exponential time; rewrite it without one of them');
  }
  return build(t.source, jsFlags + (flags.i ? 'i' : ''));
}

function linear(source: string, flags: string): boolean {
  try {
    new RegExp(source, flags + 'l');
    return true;
  } catch {
    return false;
  }
}

function build(source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new RegexError((e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

interface Translation {
  source: string;
  /** A quantified group contains repetition or alternation. */
  nestedRepetition: boolean;
}

const isLetter = (c: string) => /^[A-Za-z]$/.test(c);
const swapCase = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
const escapeLiteral = (c: string) => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? '\\' + c : c);

/** A single literal byte in the output (a class of both cases when folding letters). */
function literal(c: string, fold: boolean): string {
  if (fold && isLetter(c)) return `[${c}${swapCase(c)}]`;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code > 0x7e) return `\\x${code.toString(16).padStart(2, '0')}`;
  return escapeLiteral(c);
}

function translate(p: string, flags: Flags, fold: boolean): Translation {
  let out = '';
  let nestedRepetition = false;
  // Open groups: does it contain repetition/alternation? Atomic emulation? Where it starts? Its number.
  const groups: Array<{ risky: boolean; atomic: boolean; start: number; num: number }> = [];
  let groupCount = 0;
  let sourceGroups = 0;
  // Emulated atomic groups add capturing groups: source group numbers map to output numbers.
  const numberMap: number[] = [0];
  const capture = (start: number): void => {
    groupCount++;
    numberMap[++sourceGroups] = groupCount;
    groups.push({ risky: false, atomic: false, start, num: groupCount });
  };
  const plain = (start: number): void => {
    groups.push({ risky: false, atomic: false, start, num: 0 });
  };
  const markRisky = () => {
    for (const g of groups) g.risky = true;
  };
  let lastAtomStart = -1;
  let i = 0;
  const n = p.length;
  const afterGroup = (g: { risky: boolean }): void => {
    const next = p[i];
    const quantified = next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}/.test(p.slice(i)));
    if (quantified && g.risky) nestedRepetition = true;
    if (g.risky) markRisky();
  };
  while (i < n) {
    const c = p[i];
    if (flags.x && /\s/.test(c)) {
      i++;
      continue;
    }
    if (flags.x && c === '#') {
      while (i < n && p[i] !== '\n') i++;
      continue;
    }
    if (c === '\\') {
      const e = p[i + 1];
      if (e === undefined) throw new RegexError('\\ at end of pattern');
      lastAtomStart = out.length;
      let m: RegExpExecArray | null;
      if (e === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = p.slice(i + 2, end < 0 ? n : end);
        out += `(?:${[...lit].map((ch) => literal(ch, fold)).join('')})`;
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (e === 'E') { i += 2; continue; }
      if (e === 'A') { out += flags.m ? '(?<![\\s\\S])' : '^'; i += 2; continue; }
      if (e === 'z') { out += flags.m ? '(?![\\s\\S])' : '$'; i += 2; continue; }
      if (e === 'Z') { out += flags.m ? '(?=\\n?(?![\\s\\S]))' : '\\n?$'; i += 2; continue; }
      if (e === 'h') { out += '[\\t \\xa0]'; i += 2; continue; }
      if (e === 'H') { out += '[^\\t \\xa0]'; i += 2; continue; }
      if (e === 'v') { out += '[\\n\\v\\f\\r\\x85]'; i += 2; continue; }
      if (e === 'V') { out += '[^\\n\\v\\f\\r\\x85]'; i += 2; continue; }
      if (e === 'R') { out += '(?:\\r\\n|[\\n\\v\\f\\r\\x85])'; i += 2; continue; }
      if (e === 's') { out += `[${pcreSpace}]`; i += 2; continue; }
      if (e === 'S') { out += `[^${pcreSpace}]`; i += 2; continue; }
      if (e === 'e') { out += '\\x1b'; i += 2; continue; }
      if (e === 'x') {
        const braced = /^\\x\{([0-9A-Fa-f]+)\}/.exec(p.slice(i));
        const plainHex = /^\\x([0-9A-Fa-f]{0,2})/.exec(p.slice(i))!;
        const hex = braced ? braced[1] : plainHex[1];
        const code = hex ? parseInt(hex, 16) : 0;
        if (code > 0xff) throw new RegexError(`character code point value in \\x{${hex}} is too large (no UTF mode)`);
        out += literal(String.fromCharCode(code), fold);
        i += (braced ?? plainHex)[0].length;
        continue;
      }
      if ((m = /^[1-9][0-9]?/.exec(p.slice(i + 1)))) {
        const num = Number(m[0]);
        out += `\\${numberMap[num] ?? num}`;
        i += 1 + m[0].length;
        continue;
      }
      if (e === 'g' || e === 'k') {
        const m2 = /^\\[gk](?:\{([^}]+)\}|<([^>]+)>|'([^']+)'|(-?\d+))/.exec(p.slice(i));
        if (!m2) throw new RegexError(`\\${e} is not followed by a group reference`);
        const ref = m2[1] ?? m2[2] ?? m2[3] ?? m2[4];
        if (/^-?\d+$/.test(ref)) {
          const num = Number(ref) < 0 ? sourceGroups + 1 + Number(ref) : Number(ref);
          out += `\\${numberMap[num] ?? num}`;
        } else out += `\\k<${ref}>`;
        i += m2[0].length;
        continue;
      }
      if ('KGXCNpP'.includes(e)) throw new RegexError(`\\${e} is not supported in wiresage filters`);
      if (isLetter(e) || /[0-9]/.test(e)) out += c + e; // \d \w \b \B \0 \n \t…
      else out += literal(e, fold);
      i += 2;
      continue;
    }
    if (c === '[') {
      lastAtomStart = out.length;
      const cls = readClass(p, i, fold);
      out += cls.source;
      i = cls.end;
      continue;
    }
    if (c === '(') {
      lastAtomStart = out.length;
      if (p.startsWith('(?#', i)) {
        const end = p.indexOf(')', i);
        i = end < 0 ? n : end + 1;
        continue;
      }
      if (p.startsWith('(?>', i)) {
        // Atomic group: (?=(X))\N matches what X matches first and never backtracks into it.
        groupCount++;
        groups.push({ risky: false, atomic: true, start: out.length, num: groupCount });
        out += '(?=(';
        i += 3;
        continue;
      }
      if (p.startsWith('(?P<', i)) {
        capture(out.length);
        out += '(?<';
        i += 4;
        continue;
      }
      if (p.startsWith('(?P=', i)) {
        const end = p.indexOf(')', i);
        out += `\\k<${p.slice(i + 4, end)}>`;
        i = end + 1;
        continue;
      }
      if (p.startsWith('(?=', i) || p.startsWith('(?!', i) || p.startsWith('(?<=', i) || p.startsWith('(?<!', i)) {
        plain(out.length);
        const len = p[i + 2] === '<' ? 4 : 3;
        out += p.slice(i, i + len);
        i += len;
        continue;
      }
      if (p.startsWith('(?:', i)) {
        plain(out.length);
        out += '(?:';
        i += 3;
        continue;
      }
      if (p.startsWith('(?<', i) || p.startsWith("(?'", i)) {
        const close = p.indexOf(p[i + 2] === '<' ? '>' : "'", i + 3);
        capture(out.length);
        out += `(?<${p.slice(i + 3, close)}>`;
        i = close + 1;
        continue;
      }
      if (p[i + 1] === '?' || p[i + 1] === '*') {
        throw new RegexError(`group syntax ${p.slice(i, i + 4)}… (recursion, conditionals, inline options or verbs) is not supported in wiresage filters`);
      }
      capture(out.length);
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      const g = groups.pop();
      if (!g) throw new RegexError('unmatched closing parenthesis');
      // An atomic group closes its capture and lookahead, then consumes exactly what was captured.
      out += g.atomic ? `))\\${g.num}` : ')';
      i++;
      lastAtomStart = g.start;
      afterGroup(g);
      continue;
    }
    if (c === '|') {
      if (groups.length) groups[groups.length - 1].risky = true;
      out += '|';
      i++;
      continue;
    }
    if (c === '.') {
      lastAtomStart = out.length;
      out += flags.s ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (c === '$') {
      // PCRE's $ also matches before a final newline; only match/no match matters here.
      out += flags.m ? '$' : '\\n?$';
      i++;
      continue;
    }
    if (c === '^') {
      out += '^';
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d*,?\d*\}/.test(p.slice(i)))) {
      let q = c;
      let j = i + 1;
      if (c === '{') {
        q = /^\{\d*,?\d*\}/.exec(p.slice(i))![0];
        j = i + q.length;
      }
      if (c !== '?' && q !== '{0,1}' && q !== '{1}') markRisky();
      if (p[j] === '+') {
        // Possessive: X*+ is (?=(X*))\N; the new capture is numbered before any group inside X.
        const atom = out.slice(lastAtomStart);
        out = out.slice(0, lastAtomStart);
        const num = groupCount - countCaptures(atom) + 1;
        for (let k = 1; k < numberMap.length; k++) if (numberMap[k] >= num) numberMap[k]++;
        groupCount++;
        out += `(?=(${atom.replace(/\\(\d+)/g, (_, d: string) => `\\${Number(d) >= num ? Number(d) + 1 : d}`)}${q}))\\${num}`;
        i = j + 1;
        continue;
      }
      out += q;
      if (p[j] === '?') {
        out += '?';
        j++;
      }
      i = j;
      continue;
    }
    lastAtomStart = out.length;
    out += c === '{' || c === '}' || c === '/' ? '\\' + c : literal(c, fold);
    i++;
  }
  if (groups.length) throw new RegexError('missing closing parenthesis');
  return { source: out, nestedRepetition };
}

function countCaptures(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] === '[') {
      while (i < s.length && s[i] !== ']') i += s[i] === '\\' ? 2 : 1;
      continue;
    }
    if (s[i] === '(' && (s[i + 1] !== '?' || (s[i + 2] === '<' && s[i + 3] !== '=' && s[i + 3] !== '!'))) n++;
  }
  return n;
}

/**
 * A character class with POSIX names and PCRE escapes translated; with `fold`, every letter
 * and letter range gets its other case (so a negated class excludes both cases, as PCRE's).
 */
function readClass(p: string, start: number, fold: boolean): { source: string; end: number } {
  let i = start + 1;
  let out = '[';
  if (p[i] === '^') {
    out += '^';
    i++;
  }
  const extra: string[] = [];
  /** One class member that is a single byte (a literal or an escape for one), or undefined. */
  const single = (): string | undefined => {
    if (p[i] === '\\') {
      const m = /^\\x\{([0-9A-Fa-f]{1,2})\}|^\\x([0-9A-Fa-f]{1,2})/.exec(p.slice(i));
      if (m) {
        i += m[0].length;
        return String.fromCharCode(parseInt(m[1] ?? m[2], 16));
      }
      const e = p[i + 1];
      if (e !== undefined && !/[A-Za-z0-9]/.test(e)) {
        i += 2;
        return e;
      }
      if (e === 'e' || e === 'n' || e === 't' || e === 'r' || e === 'f') {
        i += 2;
        return { e: '\x1b', n: '\n', t: '\t', r: '\r', f: '\f' }[e];
      }
      return undefined;
    }
    return p[i++];
  };
  const lit = (c: string) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || code > 0x7e ? `\\x${code.toString(16).padStart(2, '0')}` : /[\\\]^-]/.test(c) ? '\\' + c : c;
  };
  let first = true;
  while (i < p.length && (p[i] !== ']' || first)) {
    first = false;
    const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
    if (m) {
      const set = posixClasses[m[2]];
      if (!set) throw new RegexError(`unknown POSIX class name ${m[2]}`);
      if (m[1]) throw new RegexError(`negated POSIX class [:^${m[2]}:] is not supported in wiresage filters`);
      out += set;
      i += m[0].length;
      continue;
    }
    const save = i;
    const a = single();
    if (a === undefined) {
      // A class escape (\d \w \s \h \v …).
      i = save;
      const e = p[i + 1];
      if (e === 's') out += pcreSpace;
      else if (e === 'h') out += '\\t \\xa0';
      else if (e === 'v') out += '\\n\\v\\f\\r\\x85';
      else out += '\\' + e;
      i += 2;
      continue;
    }
    if (p[i] === '-' && p[i + 1] !== ']' && i + 1 < p.length) {
      const save2 = i;
      i++;
      const b = single();
      if (b === undefined) {
        i = save2;
        out += lit(a);
        continue;
      }
      out += `${lit(a)}-${lit(b)}`;
      if (fold) {
        for (const [lo, hi, shift] of [[97, 122, -32], [65, 90, 32]] as const) {
          const from = Math.max(lo, a.charCodeAt(0));
          const to = Math.min(hi, b.charCodeAt(0));
          if (from <= to) extra.push(`${lit(String.fromCharCode(from + shift))}-${lit(String.fromCharCode(to + shift))}`);
        }
      }
      continue;
    }
    out += lit(a);
    if (fold && isLetter(a)) extra.push(swapCase(a));
  }
  if (i >= p.length) throw new RegexError('missing terminating ] for character class');
  return { source: out + extra.join('') + ']', end: i + 1 };
}
