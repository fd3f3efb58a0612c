/**
 * Unit tests of the filter language without tshark: tokens, the tree and its canonical text
 * (every operator and literal form), error positions, messages and suggestions, semantics on a
 * crafted capture, and bad input (deep nesting, enormous filters, catastrophic patterns).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Decoder } from '../decode/decoder.js';
import type { Packet } from '../decode/packet.js';
import { openCapture } from '../file/open.js';
import { FlowEngine } from '../flows/index.js';
import { canonicalText } from './ast.js';
import { writeCraftedCapture } from './_fixtures.js';
import { compileFilter } from './compile.js';
import { FilterError } from './error.js';
import { acceptedFilters, rejectedFilters } from './filters.corpus.js';
import { tokenize } from './lexer.js';
import { MAX_NESTING, parseFilter } from './parser.js';
import { compilePattern, RegexError } from './regex.js';

const kinds = (s: string) => tokenize(s).map((t) => (t.kind === 'op' ? t.text : `${t.kind}:${t.text}`));

function errorOf(text: string): FilterError {
  try {
    compileFilter(text);
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error(`no error for ${text}`);
}

describe('lexer', () => {
  it('cuts words, addresses and byte strings as tshark 4.0 does', () => {
    assert.deepEqual(kinds('tcp.port==443'), ['word:tcp.port', 'any_eq', 'word:443', 'eof:']);
    assert.deepEqual(kinds('tcp.srcport-1 == 1'), ['word:tcp.srcport-1', 'any_eq', 'word:1', 'eof:']);
    assert.deepEqual(kinds('tcp.srcport -1'), ['word:tcp.srcport', 'minus', 'word:1', 'eof:']);
    assert.deepEqual(kinds('{8000..8100}'), ['lbrace:{', 'word:8000', 'dotdot:..', 'word:8100', 'rbrace:}', 'eof:']);
    assert.deepEqual(kinds('10.0.0.1..10.0.0.9'), ['literal:10.0.0.1', 'dotdot:..', 'literal:10.0.0.9', 'eof:']);
    assert.deepEqual(kinds('1.2.3.4.5'), ['word:1.2.3.4.5', 'eof:']);
    assert.deepEqual(kinds('10.0.0.0/24'), ['literal:10.0.0.0/24', 'eof:']);
    assert.deepEqual(kinds('2001:db8::/32'), ['literal:2001:db8::/32', 'eof:']);
    assert.deepEqual(kinds('aa:bb:cc:dd:ee:ff'), ['literal:aa:bb:cc:dd:ee:ff', 'eof:']);
    assert.deepEqual(kinds('1:3'), ['word:1', 'literal:3', 'eof:']);
    assert.deepEqual(kinds(':47'), ['literal:47', 'eof:']);
    assert.deepEqual(kinds('a ~= b !== c === d ~ e'), ['word:a', 'any_ne', 'word:b', 'any_ne', 'word:c', 'all_eq', 'word:d', 'matches', 'word:e', 'eof:']);
    assert.deepEqual(kinds('x eq y ne z and or not in any all contains matches bitwise_and'),
      ['word:x', 'any_eq', 'word:y', 'all_ne', 'word:z', 'and', 'or', 'not', 'in', 'any', 'all', 'contains', 'matches', 'bitwise_and', 'eof:']);
    assert.deepEqual(kinds('android'), ['word:android', 'eof:']);
  });

  it('reads strings, raw strings and character constants', () => {
    const v = (s: string) => tokenize(s)[0];
    assert.equal(v('"a\\x41\\101\\t\\"\\\\"').value, 'aAA\t"\\');
    assert.equal(v('"caf\\u00e9"').value, 'caf\xc3\xa9');
    assert.equal(v('"café"').value, 'caf\xc3\xa9');
    assert.equal(v('r"\\x41\\"b"').value, '\\x41\\"b');
    assert.equal(v("'a'").code, 97);
    assert.equal(v("'\\x0a'").code, 10);
    assert.equal(v("'\\012'").code, 10);
    assert.equal(v("'\\t'").code, 9);
    assert.equal(v("'\\''").code, 39);
  });

  it('reports bad strings at their position', () => {
    assert.throws(() => tokenize('frame contains "\\q"'), (e: FilterError) => e.position === 16 && /\\q is not a valid character escape/.test(e.message));
    assert.throws(() => tokenize('frame contains "abc'), (e: FilterError) => e.position === 15 && /final quote was missing/.test(e.message));
    assert.throws(() => tokenize("x == '\\n'"), /too long to be a valid character constant/);
    assert.throws(() => tokenize("x == ''"), /Empty character constant/);
    assert.throws(() => tokenize('frame[0'), /right bracket was missing/);
    assert.throws(() => tokenize('"\\400"'), /larger than 255/);
    assert.throws(() => tokenize('"\\u0041"'), /not a valid universal character name/);
    assert.throws(() => tokenize('a ; b'), (e: FilterError) => e.position === 2 && /";" was unexpected/.test(e.message));
  });
});

describe('parser and canonical text', () => {
  const canon = (s: string) => {
    const t = parseFilter(s);
    return t ? canonicalText(t) : '';
  };

  it('gives not > and > or precedence, left to right, n-ary chains', () => {
    assert.equal(canon('a and b or not c or d and not e or f'), 'a && b || !c || d && !e || f');
    assert.equal(canon('a and (b or c)'), 'a && (b || c)');
    assert.equal(canon('(a and b) or c'), 'a && b || c');
    assert.equal(canon('not (a or b)'), '!(a || b)');
    assert.equal(canon('not a == 1'), '!a == 1');
    assert.equal(canon('!!!a'), '!!!a');
    assert.equal(canon('a || (b || c)'), 'a || (b || c)');
    const t = parseFilter('a || b || c || d');
    assert.equal(t?.k, 'or');
    assert.equal(t?.k === 'or' && t.items.length, 4);
  });

  it('writes every operator in its symbolic form', () => {
    assert.equal(canon('a eq 1 and b ne 2 and c gt 3 and d ge 4 and e lt 5 and f le 6'), 'a == 1 && b != 2 && c > 3 && d >= 4 && e < 5 && f <= 6');
    assert.equal(canon('a any_eq 1 or a all_ne 1 or a all_eq 1 or a any_ne 1 or a ~= 1'), 'a == 1 || a != 1 || a === 1 || a !== 1 || a !== 1');
    assert.equal(canon('a ~ "x" and b contains "y"'), 'a matches "x" && b contains "y"');
    assert.equal(canon('all a == 1 and any b > 2'), 'all a == 1 && any b > 2');
    assert.equal(canon('a bitwise_and 2'), 'a & 2');
  });

  it('keeps arithmetic precedence, braces, unary minus', () => {
    assert.equal(canon('a + b * c == 1'), 'a + b * c == 1');
    assert.equal(canon('{a + b} * c == 1'), '{a + b} * c == 1');
    assert.equal(canon('a - {b - c} == 1'), 'a - {b - c} == 1');
    assert.equal(canon('a & 1 + 2'), 'a & 1 + 2');
    assert.equal(canon('-a == -1'), '-a == -1');
    assert.equal(canon('a == b == c'), 'a == b && b == c');
  });

  it('keeps sets, slices, layers, functions, references, strings', () => {
    assert.equal(canon('tcp.port in { 80 ,443, 8000 .. 8100 }'), 'tcp.port in {80, 443, 8000..8100}');
    assert.equal(canon('tcp.port not in {80}'), 'tcp.port not in {80}');
    assert.equal(canon('tcp.port ! in {80}'), 'tcp.port not in {80}');
    assert.equal(canon('frame[ 1 , 3-5 , 9: ] == 01'), 'frame[1,3-5,9:] == 01');
    assert.equal(canon('ip.src#2 == 1.2.3.4 and tcp.port#[1-2] == 1'), 'ip.src#2 == 1.2.3.4 && tcp.port#[1-2] == 1');
    assert.equal(canon('len( frame )>1 and max(a,b)==c'), 'len(frame) > 1 && max(a, b) == c');
    assert.equal(canon('tcp.port == ${tcp.port}'), 'tcp.port == ${tcp.port}');
    assert.equal(canon('a == "x\\x01\\"\\\\"'), 'a == "x\\x01\\"\\\\"');
    assert.equal(canon('a == r"\\d+"'), 'a == r"\\d+"');
    assert.equal(canon('.tcp'), '.tcp');
    assert.equal(canon('   '), '');
  });

  it('canonical text parses back to the same canonical text (whole corpus)', () => {
    for (const f of acceptedFilters) {
      const c = compileFilter(f).canonical;
      assert.equal(compileFilter(c).canonical, c, f);
    }
  });
});

describe('errors', () => {
  it('says what was unexpected and where', () => {
    let e = errorOf('tcp.port == 443 )');
    assert.equal(e.position, 16);
    assert.equal(e.message, '")" was unexpected in this context.');
    e = errorOf('tcp.port ==');
    assert.equal(e.message, 'Unexpected end of filter expression.');
    assert.equal(e.position, 11);
    e = errorOf('tcp && && udp');
    assert.equal(e.position, 7);
  });

  it('suggests fields for unknown names', () => {
    let e = errorOf('tcp.flag.syn == 1');
    assert.equal(e.position, 0);
    assert.equal(e.length, 12);
    assert.ok(e.suggestions.includes('tcp.flags.syn'), e.suggestions.join());
    e = errorOf('tcp.analysis.retransmision');
    assert.ok(e.suggestions.includes('tcp.analysis.retransmission'));
    e = errorOf('ip.src == 1.2.3.4 && tcp.prot == 80');
    assert.equal(e.position, 21);
    assert.ok(e.suggestions.includes('tcp.port'));
    assert.match(e.format('ip.src == 1.2.3.4 && tcp.prot == 80'), /\n {4}ip\.src.*\n {25}\^~{7}$/);
  });

  it('explains type errors in tshark words', () => {
    assert.match(errorOf('tcp.srcport == 70000').message, /too big for this field, maximum 65535/);
    assert.match(errorOf('ip.src == "10.0.0.1"').message, /IPv4 address cannot be converted from a string/);
    assert.match(errorOf('ip.src contains 0a').message, /cannot participate in contains comparison/);
    assert.match(errorOf('tcp.flags.syn & 1').message, /FT_BOOLEAN cannot &/);
    assert.match(errorOf('1 == 1').message, /Left side of "==" expression must be a field or function, not 1/);
    assert.match(errorOf('frame[2-1]').message, /2 is greater or equal than 1/);
    assert.match(errorOf('count(tcp.port)').message, /cannot test whether a function is present/);
    assert.match(errorOf('foo(tcp.port) == 1').message, /Function 'foo' does not exist/);
    assert.match(errorOf('tcp.flags.syn == true').message, /"true" cannot be found among the possible values for tcp.flags.syn/);
    assert.match(errorOf('frame matches 47').message, /Matches requires a double quoted string/);
    assert.match(errorOf('frame matches "(abc"').message, /Regex compilation error/);
  });

  it('rejects every rejected corpus filter with a position inside the text', () => {
    for (const f of rejectedFilters) {
      const e = errorOf(f);
      assert.ok(e.position >= 0 && e.position <= f.length, `${f}: position ${e.position}`);
      assert.ok(e.message.length > 10, f);
    }
  });
});

describe('semantics on a crafted capture', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wiresage-filter-unit-'));
    writeCraftedCapture(join(dir, 'c.pcap'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Frames of the crafted capture the filter matches, decoded as `read -Y` decodes them. */
  async function matching(filter: string): Promise<number[]> {
    const f = compileFilter(filter);
    const out: number[] = [];
    const decoder = new Decoder();
    const flows = new FlowEngine({ packetExperts: true });
    const r = await openCapture(join(dir, 'c.pcap'));
    await r.forEach((rec) => {
      const p: Packet = decoder.decode(rec);
      flows.packet(p);
      if (f.matches(p)) out.push(p.number);
      return true;
    });
    r.close();
    return out;
  }

  it('multi-valued fields: == any, != all, === all, !== any', async () => {
    assert.deepEqual(await matching('ip.addr == 10.0.0.1 && tcp'), [1, 2, 3, 4, 8, 13, 15]);
    assert.deepEqual(await matching('ip.addr != 10.0.0.1 && tcp'), []);
    assert.deepEqual(await matching('ip.addr !== 10.0.0.1 && tcp.port == 80'), [1, 2, 3, 4]);
    assert.deepEqual(await matching('ip.addr === 10.0.0.1'), []);
    assert.deepEqual(await matching('all ip.addr == 10.0.0.0/24 && tcp.port == 80'), [1, 2, 3, 4]);
    assert.deepEqual(await matching('!(ip.addr == 10.0.0.1) && ip'), [5, 6, 9]);
  });

  it('layers, counts and quoted headers', async () => {
    assert.deepEqual(await matching('ip.src#2 == 10.1.1.1'), [5]);
    assert.deepEqual(await matching('ip.src#1 == 10.1.1.1'), []);
    assert.deepEqual(await matching('count(ip) == 2'), [5, 7]);
    assert.deepEqual(await matching('ieee8021ad.id == 100 && vlan.id#1 == 200'), [6]);
    assert.deepEqual(await matching('vlan.id#2'), []);
    assert.deepEqual(await matching('ip#2 && icmp'), [7]);
  });

  it('slices, contains, matches, functions', async () => {
    assert.deepEqual(await matching('frame[12:2] == 88:a8'), [6]);
    assert.deepEqual(await matching('tcp contains "User-Agent"'), [3]);
    assert.deepEqual(await matching('frame matches "user-agent: wiresage"'), [3]);
    assert.deepEqual(await matching('frame matches "(?-i)user-agent"'), []);
    assert.deepEqual(await matching('frame contains "caf\\u00e9"'), [13]);
    assert.deepEqual(await matching('tcp.flags.syn == 1 && len(tcp) == 40'), [1, 2]);
    assert.deepEqual(await matching('upper(tcp.flags.str) matches "^.{4}"'), [1, 2, 3, 4, 8, 13]);
    assert.deepEqual(await matching('_ws.short'), [15]);
    assert.deepEqual(await matching('_ws.malformed'), [9]);
    assert.deepEqual(await matching('arp.opcode == 1 && eth.dst == ff:ff:ff:ff:ff:ff'), [10]);
    assert.deepEqual(await matching('ipv6.src == fe80::/10 && udp.dstport == 547'), [11]);
  });
});

describe('bad input', () => {
  it('deep nesting is an error, not a stack overflow', () => {
    for (const depth of [MAX_NESTING + 1, 10_000, 200_000]) {
      const t0 = Date.now();
      const e = errorOf('('.repeat(depth) + 'tcp' + ')'.repeat(depth));
      assert.match(e.message, /nested too deeply/);
      assert.ok(Date.now() - t0 < 2000, `depth ${depth}`);
    }
    assert.match(errorOf('tcp.port == ' + '{'.repeat(10_000) + '1' + '}'.repeat(10_000)).message, /nested too deeply/);
    assert.match(errorOf('len('.repeat(10_000) + 'tcp' + ')'.repeat(10_000)).message, /nested too deeply/);
    // tshark 4.0 takes 97 levels of parentheses.
    assert.equal(compileFilter('('.repeat(MAX_NESTING) + 'tcp' + ')'.repeat(MAX_NESTING)).canonical, 'tcp');
  });

  it('long chains of operators compile and run without recursion', async () => {
    const n = 50_000;
    const ors = Array.from({ length: n }, (_, i) => `tcp.port == ${i % 65536}`).join(' || ');
    const t0 = Date.now();
    const f = compileFilter(ors);
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(f.canonical.length > n * 10);
    const nots = compileFilter('!'.repeat(100_001) + 'tcp');
    assert.equal(nots.canonical.length, 100_004);
    const ands = compileFilter(Array.from({ length: n }, () => 'ip').join(' and '));
    assert.equal(ands.fields.length, 1);
  });

  it('enormous filters are refused', () => {
    assert.match(errorOf('tcp or '.repeat(200_000) + 'udp').message, /too long/);
  });

  it('catastrophic patterns run in bounded time', () => {
    const subject = 'a'.repeat(100_000) + '!';
    for (const p of ['(a+)+$', '^(a|aa)*$', '(a*)*b', '(?:a|a)*c', '^(\\w+\\s?)*$']) {
      const re = compilePattern(p);
      const t0 = Date.now();
      re.test(subject);
      assert.ok(Date.now() - t0 < 3000, `${p} took ${Date.now() - t0} ms`);
    }
    // Backreferences cannot use the linear engine: nested repetition with them is refused.
    assert.throws(() => compilePattern('^(a+)+\\1$'), RegexError);
    assert.throws(() => compilePattern('(?=(a+)+)b'), RegexError);
    assert.ok(compilePattern('(a)\\1').test('aa'));
  });

  it('translates PCRE forms to their JavaScript equivalents', () => {
    assert.ok(compilePattern('GET').test('get'));
    assert.ok(!compilePattern('(?-i)GET').test('get'));
    assert.ok(compilePattern('[[:digit:]]+\\.[[:alpha:]]').test('12.a'));
    assert.ok(compilePattern('\\Aab\\z').test('ab'));
    assert.ok(!compilePattern('\\Aab\\z').test('ab\n'));
    assert.ok(compilePattern('ab$').test('ab\n'));
    assert.ok(compilePattern('a.b').test('a\rb'));
    assert.ok(!compilePattern('a.b').test('a\nb'));
    assert.ok(compilePattern('(?s)a.b').test('a\nb'));
    assert.ok(!compilePattern('a\\sb').test('a\xa0b'));
    assert.ok(compilePattern('\\Q.*\\E').test('x.*y'));
    assert.ok(compilePattern('(?P<x>a)(?P=x)').test('aa'));
    assert.ok(compilePattern('a++b').test('aab'));
    assert.ok(!compilePattern('a++a').test('aaa'));
    assert.ok(compilePattern('(?>ab|a)c').test('abc'));
    assert.ok(!compilePattern('(?>a|ab)c').test('abc'));
    assert.ok(compilePattern('\\x{41}').test('A'));
    assert.throws(() => compilePattern('(?R)'), RegexError);
  });
});
