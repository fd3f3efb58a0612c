/**
 * The probe's conversation logic on loopback (no capture, no root): a SCAN-like listener whose
 * REDIRECT names two node addresses in an ADDRESS_LIST — the probe follows both, as the issue
 * asks ("following REDIRECTs to every address"), and tells the node that answers from the one
 * that refuses.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, test } from 'node:test';
import { speak } from './probe.js';
import { acceptPacket, redirectPacket } from '../testing/tns-listener.js';

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A TCP server on 127.0.0.1 that answers the first TNS packet it receives with `reply`. */
async function tnsServer(reply: () => Buffer): Promise<number> {
  const s = createServer((c) => {
    c.on('error', () => {});
    c.once('data', () => c.end(reply()));
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as { port: number }).port;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('probe follows every address of a multi-address REDIRECT: one node accepts, the other refuses', async () => {
  const node1 = await tnsServer(acceptPacket);
  const node2 = await closedPort();
  const address = (port: number) => `(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=${port}))`;
  const scan = await tnsServer(() => redirectPacket(`(DESCRIPTION=(ADDRESS_LIST=${address(node1)}${address(node2)}))`));
  const steps = await speak('127.0.0.1', scan, 'oracle', { timeoutMs: 3000 });
  assert.equal(steps.length, 3, JSON.stringify(steps));
  assert.match(steps[0].answer ?? '', new RegExp(`^REDIRECT to 127\\.0\\.0\\.1:${node1}, 127\\.0\\.0\\.1:${node2}$`));
  assert.deepEqual(steps[0].next, [`127.0.0.1:${node1}`, `127.0.0.1:${node2}`]);
  const [, first, second] = steps;
  assert.equal(first.port, node1);
  assert.equal(first.via, `127.0.0.1:${scan}`);
  assert.equal(first.ok, true);
  assert.match(first.answer ?? '', /^ACCEPT/);
  assert.equal(second.port, node2);
  assert.equal(second.via, `127.0.0.1:${scan}`);
  assert.equal(second.ok, false);
  assert.equal(second.tcp, 'refused');
});
