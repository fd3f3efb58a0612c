import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decoder } from '../decode/decoder.js';
import { decodeBytes, tcpFrame } from './_compare.js';
import { appStates, appSummary, conversationKey } from './conversation-state.js';
import './index.js';

const wrongpass = Buffer.from('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
const auth = Buffer.from('*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n');

test('conversation keys are direction-independent and summaries are found by the text key', () => {
  assert.equal(conversationKey('tcp', '10.0.0.2', 6379, '10.0.0.1', 43000), conversationKey('tcp', '10.0.0.1', 43000, '10.0.0.2', 6379));
  assert.equal(conversationKey('tcp', '10.0.0.1', 43000, '10.0.0.2', 6379), 'tcp 10.0.0.1:43000 10.0.0.2:6379');
  assert.equal(conversationKey('udp', '::1', 53, '::1', 5353), 'udp [::1]:53 [::1]:5353');
  const d = new Decoder();
  decodeBytes(d, tcpFrame(auth, '10.0.0.1', 43000, '10.0.0.2', 6379));
  decodeBytes(d, tcpFrame(wrongpass, '10.0.0.2', 6379, '10.0.0.1', 43000));
  const states = [...appStates(d)];
  assert.equal(states.length, 1);
  assert.equal(states[0].key, 'tcp 10.0.0.1:43000 10.0.0.2:6379');
  const expected = 'redis: AUTH failed WRONGPASS invalid username-password pair or user is disabled.';
  assert.equal(appSummary('tcp 10.0.0.1:43000 10.0.0.2:6379', d), expected);
  assert.equal(appSummary(conversationKey('tcp', '10.0.0.2', 6379, '10.0.0.1', 43000), d), expected);
  assert.equal(appSummary('tcp 10.0.0.1:43001 10.0.0.2:6379', d), undefined);
});

test('decoding the same packets again does not change the state (idempotent per frame)', () => {
  const d = new Decoder();
  decodeBytes(d, tcpFrame(auth, '10.0.0.1', 43000, '10.0.0.2', 6379));
  decodeBytes(d, tcpFrame(wrongpass, '10.0.0.2', 6379, '10.0.0.1', 43000));
  const before = [...appStates(d)][0].summary;
  // A later frame number with an unrelated reply must not be matched to the AUTH twice.
  decodeBytes(d, tcpFrame(Buffer.from('+OK\r\n'), '10.0.0.2', 6379, '10.0.0.1', 43000));
  assert.equal([...appStates(d)][0].summary, before);
});

test('pinned-conversation lookups for unrecognised traffic create no state', () => {
  const d = new Decoder();
  // A ClientHello on an odd port: recognised by heuristic and pinned.
  const hello = Buffer.from([22, 3, 1, 0, 45, 1, 0, 0, 41, 3, 3, ...new Array(32).fill(1), 0, 0, 2, 0x13, 0x01, 1, 0, 0, 0]);
  decodeBytes(d, tcpFrame(hello, '10.0.0.1', 40000, '10.0.0.2', 4433));
  const before = [...appStates(d)].length;
  for (let port = 20000; port < 20100; port++) decodeBytes(d, tcpFrame(Buffer.from('opaque bytes of something else'), '10.0.0.3', port, '10.0.0.4', 9999));
  assert.equal([...appStates(d)].length, before);
});
