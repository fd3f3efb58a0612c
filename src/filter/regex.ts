/**
 * `matches` patterns: PCRE2 (what tshark 4.0 uses, compiled CASELESS and without UTF) turned
 * into JavaScript regular expressions that run over byte strings (one char per byte, no `u`
 * flag), so `.` is one byte and non-ASCII text in a pattern matches its UTF-8 bytes, as in tshark.
 *
 * Translated: a leading `(?flags)` / `(?-flags)` group (i, s, m, x; case-insensitive is the
 * default), `\A \z \Z`, `\Q…\E`, `\h \H \v \V \R \e`, `\x{…}`, POSIX classes (`[[:alpha:]]`),
 * `(?P<name>`, `(?#…)` comments, and the PCRE meaning of `.`, `$`, `\s` (JavaScript's differ).
 * Possessive quantifiers and atomic groups are emulated with the lookahead-capture idiom.
 * Recursion, conditionals, `\K`, callouts and backtracking verbs are rejected with a message.
 *
 * Catastrophic backtracking is bounded by V8 itself: the process enables
 * `--enable-experimental-regexp-engine-on-excessive-backtracks`, so a pattern such as `(a+)+b`
 * falls back to V8's linear-time engine after a bounded number of backtracks instead of running
 * for exponential time. That engine cannot run backreferences or lookarounds, so patterns that
 * use them (including the emulated possessive/atomic forms) and nest unbounded quantifiers
 * (`(a+)+`, `(a|aa)*\1`) are rejected at compile time: those are the only ones that could still
 * backtrack without a bound.
 */
import v8 from 'node:v8';

let enginesConfigured = false;

/** Turns on V8's linear-time fallback for runaway backtracking (once per process). */
function configureEngines(): void {
  if (enginesConfigured) return;
  enginesConfigured = true;
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  v8.setFlagsFromString('--regexp-backtracks-before-fallback=100000');
}

export class RegexError extends Error {}

const posixClasses: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: '\\t\\n\\v\\f\\r ', blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~', print: ' -~', graph: '!-~', cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f', word: 'A-Za-z0-9_', ascii: '\\x00-\\x7f',
};

const pcreSpace = '\\t\\n\\v\\f\\r ';

/** Compiles a tshark `matches` pattern (a byte string) into a RegExp over byte strings. */
export function compilePattern(pattern: string): RegExp {
  configureEngines();
  let flags = { i: true, s: false, m: false, x: false };
  let p = pattern;
  // Leading option settings apply to the whole pattern (the common `(?i)`, `(?-i)` forms).
  for (;;) {
    const m = /^\(\?([imsx]*)(?:-([imsx]*))?\)/.exec(p);
    if (!m || (!m[1] && m[2] === undefined)) break;
    for (const c of m[1]) flags = { ...flags, [c]: true };
    for (const c of m[2] ?? '') flags = { ...flags, [c]: false };
    p = p.slice(m[0].length);
  }
  const { source, backtrackingOnly, nestedUnbounded } = translate(p, flags);
  if (backtrackingOnly && nestedUnbounded) {
    throw new RegexError('pattern combines backreferences or lookarounds with nested repetition, which could backtrack without bound; rewrite it without one of them');
  }
  try {
    return new RegExp(source, (flags.i ? 'i' : '') + (flags.m ? 'm' : ''));
  } catch (e) {
    throw new RegexError((e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

interface Translation {
  source: string;
  /** Uses backreferences or lookarounds (no linear-time fallback possible). */
  backtrackingOnly: boolean;
  /** A quantified group contains an unbounded quantifier or an alternation. */
  nestedUnbounded: boolean;
}

function translate(p: string, flags: { i: boolean; s: boolean; m: boolean; x: boolean }): Translation {
  let out = '';
  let backtrackingOnly = false;
  let nestedUnbounded = false;
  // Per open group: does it contain an unbounded quantifier or alternation? Is it emulated (atomic)?
  const groups: Array<{ risky: boolean; atomic: boolean; start: number; num: number }> = [];
  /** Capturing groups in the output so far, and in the source pattern. */
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
  let lastAtomStart = -1;
  let i = 0;
  const n = p.length;
  const markRisky = () => {
    for (const g of groups) g.risky = true;
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
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (e === 'E') { i += 2; continue; }
      if (e === 'A') { out += '(?<![\\s\\S])'; i += 2; continue; }
      if (e === 'z') { out += '(?![\\s\\S])'; i += 2; continue; }
      if (e === 'Z') { out += '(?=\\n?(?![\\s\\S]))'; i += 2; continue; }
      if (e === 'h') { out += '[\\t \\xa0]'; i += 2; continue; }
      if (e === 'H') { out += '[^\\t \\xa0]'; i += 2; continue; }
      if (e === 'v') { out += '[\\n\\v\\f\\r\\x85]'; i += 2; continue; }
      if (e === 'V') { out += '[^\\n\\v\\f\\r\\x85]'; i += 2; continue; }
      if (e === 'R') { out += '(?:\\r\\n|[\\n\\v\\f\\r\\x85])'; i += 2; continue; }
      if (e === 's') { out += `[${pcreSpace}]`; i += 2; continue; }
      if (e === 'S') { out += `[^${pcreSpace}]`; i += 2; continue; }
      if (e === 'e') { out += '\\x1b'; i += 2; continue; }
      if (e === 'x' && p[i + 2] === '{') {
        const close = p.indexOf('}', i + 3);
        const hex = p.slice(i + 3, close);
        if (close < 0 || !/^[0-9A-Fa-f]{1,2}$/.test(hex)) throw new RegexError(`character code point value in \\x{} is too large or invalid: ${hex}`);
        out += `\\x${hex.padStart(2, '0')}`;
        i = close + 1;
        continue;
      }
      if ((m = /^[1-9][0-9]?/.exec(p.slice(i + 1)))) {
        backtrackingOnly = true;
        const num = Number(m[0]);
        out += `\\${numberMap[num] ?? num}`;
        i += 1 + m[0].length;
        continue;
      }
      if (e === 'g' || e === 'k') {
        backtrackingOnly = true;
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
      if (e === 'K' || e === 'G' || e === 'X' || e === 'C' || e === 'N' || e === 'p' || e === 'P') {
        throw new RegexError(`\\${e} is not supported in wiresage filters`);
      }
      out += c + e;
      i += 2;
      continue;
    }
    if (c === '[') {
      lastAtomStart = out.length;
      const cls = readClass(p, i);
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
        backtrackingOnly = true;
        groupCount++; // the emulation's capture is a real group in the output
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
        backtrackingOnly = true;
        const end = p.indexOf(')', i);
        out += `\\k<${p.slice(i + 4, end)}>`;
        i = end + 1;
        continue;
      }
      if (p.startsWith('(?=', i) || p.startsWith('(?!', i) || p.startsWith('(?<=', i) || p.startsWith('(?<!', i)) {
        backtrackingOnly = true;
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
      out += flags.m ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d*,?\d*\}/.test(p.slice(i)))) {
      let q = c;
      let j = i + 1;
      if (c === '{') {
        const m = /^\{\d*,?\d*\}/.exec(p.slice(i))!;
        q = m[0];
        j = i + m[0].length;
      }
      const unbounded = c === '*' || c === '+' || /,\}$/.test(q);
      if (unbounded) markRisky();
      if (p[j] === '+') {
        // Possessive: X*+ is (?=(X*))\N.
        backtrackingOnly = true;
        const atom = out.slice(lastAtomStart);
        out = out.slice(0, lastAtomStart);
        // The new capture is numbered before any group inside the atom: renumber those.
        const inner = countCaptures(atom);
        const num = groupCount - inner + 1;
        for (let k = 1; k < numberMap.length; k++) if (numberMap[k] >= num) numberMap[k]++;
        groupCount++;
        out += `(?=(${atom.replace(/\\(\d+)/g, (_, d) => `\\${Number(d) >= num ? Number(d) + 1 : d}`)}${q}))\\${num}`;
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
    out += c === '/' ? '\\/' : c;
    i++;
  }
  if (groups.length) throw new RegexError('missing closing parenthesis');
  return { source: out, backtrackingOnly, nestedUnbounded };

  function afterGroup(g: { risky: boolean }): void {
    // A quantified group that contains repetition or alternation is "nested repetition".
    const next = p[i];
    const quantified = next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}/.test(p.slice(i)));
    if (quantified && g.risky) nestedUnbounded = true;
    if (g.risky) markRisky();
  }
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
    if (s[i] === '(' && (s[i + 1] !== '?' || s[i + 2] === '<' && s[i + 3] !== '=' && s[i + 3] !== '!')) n++;
  }
  return n;
}

/** A character class with POSIX names and PCRE escapes translated. */
function readClass(p: string, start: number): { source: string; end: number } {
  let i = start + 1;
  let out = '[';
  if (p[i] === '^') {
    out += '^';
    i++;
  }
  if (p[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < p.length && p[i] !== ']') {
    const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
    if (m) {
      const set = posixClasses[m[2]];
      if (!set) throw new RegexError(`unknown POSIX class name ${m[2]}`);
      if (m[1]) throw new RegexError(`negated POSIX class [:^${m[2]}:] is not supported in wiresage filters`);
      out += set;
      i += m[0].length;
      continue;
    }
    if (p[i] === '\\') {
      const e = p[i + 1];
      if (e === 's') out += pcreSpace;
      else if (e === 'h') out += '\\t \\xa0';
      else if (e === 'v') out += '\\n\\v\\f\\r\\x85';
      else if (e === 'e') out += '\\x1b';
      else out += '\\' + e;
      i += 2;
      continue;
    }
    if (p[i] === '[') {
      out += '\\[';
      i++;
      continue;
    }
    out += p[i];
    i++;
  }
  if (i >= p.length) throw new RegexError('missing terminating ] for character class');
  return { source: out + ']', end: i + 1 };
}
