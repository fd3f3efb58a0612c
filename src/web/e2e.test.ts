/**
 * Browser end-to-end tests of the web UI: the real `wiresage ui` server, the real front end
 * (dist/web/app, built by `npm run build`), Debian's Chromium driven by playwright-core. tshark is
 * the oracle for packet counts and times. Screenshots (1366x768) go to an artefacts directory
 * whose path is printed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { artefactsDir, hasRoot, launchBrowser, makeNetnsPair, repoRoot, startUi, type Browser, type UiServer } from './e2e-harness.js';

const examples = join(repoRoot, 'examples');
const caseA = join(examples, 'seed-case-a-forged-rst-after-failed-logins.pcap');
const caseB = join(examples, 'seed-case-b-tns-redirect-blocked.pcap');

function tsharkLines(file: string, args: string[]): string[] {
  const out = execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0);
}
const tsharkCount = (file: string, filter: string) => tsharkLines(file, ['-Y', filter]).length;

interface DoctorFinding { id: string; severity: string; title: string; evidence: { frames?: number[]; streams?: number[] } }
/** What `wiresage doctor --json FILE` finds: the panel must show exactly these. */
function doctor(file: string): DoctorFinding[] {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'doctor', '--json', file], { encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `doctor exit ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { findings: DoctorFinding[] }).findings;
}

/** Polls fn until ok(value); fails with what it last saw. */
async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  let err: unknown;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) { err = e; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}${err ? `; last error: ${String(err)}` : ''}`);
}

describe('web UI in Chromium', { timeout: 360_000 }, () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  let shots: string;
  let liveIds: [string, string] | null = null;
  let liveExpect = { matched: 0, onlyA: 0 };
  let ns2 = { serverAddr: '' };
  const pageErrors: string[] = [];
  let n = 0;
  const shot = async (name: string) => {
    const file = join(shots, `${String(++n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file });
    return file;
  };
  const counts = () => page.getByTestId('packet-counts').innerText();
  const api = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
    const r = await fetch(server.base + path, {
      method, headers: { authorization: `Bearer ${server.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json: unknown = await r.json();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const selectedNo = () => page.locator('.pl-row[aria-selected=true]').getAttribute('data-no');
  const filterInput = () => page.getByTestId('filter-input');
  const applyFilter = async (f: string) => {
    await filterInput().fill(f);
    await until('filter validated', () => filterInput().getAttribute('class'), (c) => /\b(valid|invalid)\b/.test(c ?? '') || f === '');
    await filterInput().press('Enter');
  };
  const displayed = async () => {
    const m = /Displayed: ([\d,]+)/.exec(await counts());
    return m ? Number(m[1].replace(/,/g, '')) : null;
  };
  const clickRow = async (no: number) => {
    const row = page.locator(`.pl-row[data-no="${no}"]`);
    await row.waitFor();
    await row.click();
    await until(`frame ${no} selected`, selectedNo, (v) => v === String(no));
  };

  before(async () => {
    assert.ok(fs.existsSync(join(repoRoot, 'dist', 'web', 'app', 'index.html')), 'dist/web/app/index.html is missing: run npm run build');
    shots = artefactsDir();
    console.log(`# web UI screenshots: ${shots}`);
    server = await startUi([caseA, '--root', examples]);
    browser = await launchBrowser();
    page = browser.page;
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error' && !/401|Failed to load resource/.test(m.text())) pageErrors.push(m.text()); });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('refuses every request without the token', async () => {
    for (const path of ['/', '/api/info', '/api/captures', '/index.html']) {
      const r = await fetch(server.base + path);
      assert.equal(r.status, 401, `${path} without a token`);
      await r.body?.cancel();
    }
    const wrong = await fetch(server.base + '/api/info', { headers: { authorization: `Bearer ${'0'.repeat(server.token.length)}` } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await fetch(server.base + '/api/info', { headers: { authorization: `Bearer ${server.token}` } });
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(((await ok.json()) as { roots: unknown }).roots));
    const res = await page.goto(server.base + '/');
    assert.equal(res?.status(), 401, 'the browser without the token gets 401');
  });

  it('opens case A with the finding on top, the packet list and the token gone from the address bar', async () => {
    await page.goto(server.url);
    const finding = page.getByTestId('finding').first();
    await finding.waitFor({ timeout: 20_000 });
    const expected = doctor(caseA);
    assert.ok(expected.length > 0, 'doctor finds the problem in case A');
    await until('the findings doctor --json gives', () => page.getByTestId('finding').locator('.finding-title').allInnerTexts(),
      (t) => JSON.stringify([...t].sort()) === JSON.stringify(expected.map((f) => f.title).sort()));
    const top = await finding.locator('.badge').first().innerText();
    assert.equal(top.toLowerCase(), 'error', 'the first finding shown is an error');
    assert.match(await finding.innerText(), /reset|block/i);
    await until('all 50 packets counted', counts, (t) => /Packets: 50\b/.test(t));
    await page.locator('.pl-row[data-no="1"]').waitFor();
    assert.ok(!page.url().includes('token='), 'the token is taken off the address bar');
    // Colours come from the server's colouring rules: the RSTs are coloured.
    const rstRow = page.locator('.pl-row[data-no="45"]');
    await page.getByTestId('packet-list').locator('.pl-body').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await rstRow.waitFor();
    const bg = await rstRow.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'a RST row has a background colour');
    await shot('case-a-finding');
  });

  it('evidence: a frame chip selects the frame, the streams chip filters them', async () => {
    const title = await page.getByTestId('finding').first().locator('.finding-title').innerText();
    const f = doctor(caseA).find((x) => x.title === title)!;
    const frame = f.evidence.frames![0];
    await page.getByTestId('evidence-frame').filter({ hasText: new RegExp(`^#${frame}$`) }).first().click();
    await until(`frame ${frame} selected`, selectedNo, (v) => v === String(frame));
    await page.getByTestId('detail-tree').locator('.tree-row').first().waitFor();
    assert.match(await page.getByTestId('detail-tree').innerText(), new RegExp(`Frame ${frame}:`));
    await page.getByTestId('evidence-streams').click();
    await until('streams filter', () => filterInput().inputValue(), (v) => /tcp\.stream/.test(v));
    const applied = await filterInput().inputValue();
    const want = tsharkCount(caseA, applied);
    assert.ok(want > 0 && want < 50);
    await until(`displayed count ${want} (tshark)`, displayed, (d) => d === want);
    await shot('case-a-evidence-streams');
  });

  it('filter bar: validation as you type, completion, apply, invalid expressions refused', async () => {
    await filterInput().fill('tcp.flags.rese');
    const ac = page.getByTestId('autocomplete');
    await ac.waitFor();
    assert.match(await ac.innerText(), /tcp\.flags\.reset/);
    await filterInput().press('Tab');
    assert.equal(await filterInput().inputValue(), 'tcp.flags.reset');
    await filterInput().press('End');
    await filterInput().type(' == 1');
    await until('green filter', () => filterInput().getAttribute('class'), (c) => /\bvalid\b/.test(c ?? ''));
    await filterInput().press('Enter');
    const want = tsharkCount(caseA, 'tcp.flags.reset == 1');
    await until(`${want} RSTs displayed (tshark)`, displayed, (d) => d === want);
    await until('rows shown', () => page.locator('.pl-row[data-no]').count(), (c) => c === want);
    await shot('filter-valid');

    await filterInput().fill('tcp.flags.rest == 1');
    await until('red filter', () => filterInput().getAttribute('class'), (c) => /\binvalid\b/.test(c ?? ''));
    const msg = await page.getByTestId('filter-message').innerText();
    assert.ok(msg.length > 0, 'an invalid filter says why');
    assert.ok(await page.getByTestId('filter-apply').isDisabled(), 'Apply is disabled for an invalid filter');
    await filterInput().press('Enter');
    assert.equal(await displayed(), want, 'Enter on an invalid filter keeps the previous view');
    await shot('filter-invalid');
    await applyFilter('');
    await until('filter cleared', counts, (t) => !/Displayed/.test(t));
  });

  it('keyboard navigation and time formats', async () => {
    await page.getByTestId('packet-list').locator('.pl-body').evaluate((el) => { el.scrollTop = 0; });
    await clickRow(1);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await until('frame 3 after two downs', selectedNo, (v) => v === '3');
    await page.keyboard.press('ArrowUp');
    await until('frame 2 after up', selectedNo, (v) => v === '2');
    await page.keyboard.press('End');
    await until('last frame after End', selectedNo, (v) => v === '50');
    await page.keyboard.press('Home');
    await until('first frame after Home', selectedNo, (v) => v === '1');
    await page.keyboard.press('PageDown');
    await until('a page further after PageDown', selectedNo, (v) => Number(v) > 5);
    await page.keyboard.press('Home');
    await until('detail tree follows the selection', () => page.getByTestId('detail-tree').innerText(), (t) => /Frame 1\b/.test(t));

    const [epoch] = tsharkLines(caseA, ['-T', 'fields', '-e', 'frame.time_epoch', '-c', '1']);
    const first = () => page.locator('.pl-row[data-no="1"] .c-time').innerText();
    await page.getByTestId('time-format').selectOption('epoch');
    await until('epoch time of frame 1 (tshark)', first, (t) => t === epoch.slice(0, epoch.indexOf('.') + 7));
    await page.getByTestId('time-format').selectOption('absolute');
    const tod = new Date(Number(epoch.split('.')[0]) * 1000).toISOString().slice(11, 19) + '.' + epoch.split('.')[1].slice(0, 6);
    await until('time of day of frame 1', first, (t) => t === tod);
    await page.getByTestId('time-format').selectOption('delta');
    await until('delta of frame 1', first, (t) => t === '0.000000');
    await page.getByTestId('time-format').selectOption('relative');
    await until('relative time of frame 1', first, (t) => t === '0.000000');

    // Columns resize by dragging the header's edge; rows follow.
    const srcWidth = () => page.locator('.pl-row[data-no="1"] .c-src').evaluate((el) => el.getBoundingClientRect().width);
    const w0 = await srcWidth();
    const grip = await page.locator('.pl-head .c-src .col-grip').boundingBox();
    assert.ok(grip);
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2);
    await page.mouse.down();
    await page.mouse.move(grip.x + grip.width / 2 + 60, grip.y + grip.height / 2, { steps: 4 });
    await page.mouse.up();
    await until('Source column 60 px wider', srcWidth, (w) => Math.abs(w - (w0 + 60)) <= 1);
    await page.locator('.pl-head .c-src .col-grip').dblclick();
    await until('Source column back to its default', srcWidth, (w) => Math.abs(w - w0) <= 1);
  });

  it('detail tree: expand, field name on hover, bytes highlighted, right-click Apply as Filter', async () => {
    await clickRow(3);
    const tree = page.getByTestId('detail-tree');
    await tree.locator('.tree-row').first().click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Expand All' }).click();
    const port = tree.locator('.tree-row[data-field="tcp.dstport"]');
    await port.waitFor();
    assert.match((await port.getAttribute('title')) ?? '', /tcp\.dstport/);
    await port.hover();
    await until('status bar names the field', () => page.getByTestId('statusbar').innerText(), (t) => /tcp\.dstport/.test(t));
    await port.click();
    await until('two bytes highlighted', () => page.getByTestId('bytes-pane').locator('.b.hl').count(), (c) => c === 2);
    await shot('detail-tree-bytes');
    await port.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Prepare as Filter: Selected' }).click();
    await until('filter prepared, not applied', () => filterInput().inputValue(), (v) => v === 'tcp.dstport == 1521');
    assert.doesNotMatch(await counts(), /Displayed/);
    await port.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Apply as Filter: Selected' }).click();
    await until('filter from the field', () => filterInput().inputValue(), (v) => /^tcp\.dstport == 1521$/.test(v));
    const want = tsharkCount(caseA, 'tcp.dstport == 1521');
    await until(`${want} packets to port 1521 (tshark)`, displayed, (d) => d === want);
    await applyFilter('');
    await until('filter cleared', counts, (t) => !/Displayed/.test(t));
  });

  it('follow TCP stream: client red, server blue, ASCII and hex dump', async () => {
    await clickRow(3);
    await page.getByTestId('tb-follow').click();
    const dlg = page.getByTestId('follow-dialog');
    await dlg.locator('pre.client').first().waitFor();
    const text = await page.getByTestId('follow-text').innerText();
    assert.match(text, /SERVICE_NAME=orclpdb/);
    assert.match(text, /ORA-01017/);
    assert.equal(await dlg.locator('pre.client').first().evaluate((el) => getComputedStyle(el).color), 'rgb(160, 0, 0)');
    assert.equal(await dlg.locator('pre.server').first().evaluate((el) => getComputedStyle(el).color), 'rgb(0, 0, 160)');
    assert.match(await dlg.innerText(), /tcp\.stream eq 0/);
    await shot('follow-stream');
    await page.getByTestId('follow-mode').selectOption('hex');
    await until('hex dump', () => page.getByTestId('follow-text').innerText(), (t) => /^00000000 {2}[0-9a-f]{2} /m.test(t));
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
  });

  it('flow graph of the selected stream: SYN, SYN-ACK, TNS messages; clicking an arrow selects its frame', async () => {
    await clickRow(3);
    await page.getByTestId('tb-flow').click();
    const svg = page.getByTestId('flow-svg');
    await svg.waitFor();
    const labels = await svg.locator(".flow-label").allTextContents();
    assert.ok(labels.some((l) => /^SYN\b/.test(l)), `a SYN arrow in ${JSON.stringify(labels)}`);
    assert.ok(labels.some((l) => /SYN, ACK/.test(l)), 'a SYN, ACK arrow');
    assert.ok(labels.some((l) => /TNS/.test(l)), 'TNS messages are named');
    // Arrows take Wireshark's colouring rules: SYN/FIN grey, a reset red, each label on its rule's background.
    const syn = svg.locator('.flow-ev[data-color="TCP SYN/FIN"]').first();
    assert.equal(await syn.getAttribute('data-stroke'), '#a0a0a0');
    assert.equal(await syn.locator('line, path').first().getAttribute('stroke'), '#a0a0a0');
    assert.equal(await syn.locator('.flow-label-bg').getAttribute('fill'), '#a0a0a0');
    assert.ok(await svg.locator('.flow-ev[data-color="TCP"]').count() > 0, 'plain TCP arrows');
    await shot('flow-graph');
    const ev = svg.locator('.flow-ev').nth(1);
    const frame = await ev.getAttribute('data-frame');
    await ev.click();
    await until(`frame ${frame} selected from the flow graph`, selectedNo, (v) => v === frame);
    await page.keyboard.press('Escape');
  });

  it('conversations (sortable), endpoints, expert information, I/O graph, protocol hierarchy', async () => {
    await page.getByTestId('tb-conversations').click();
    const table = page.getByTestId('conversations-table');
    await table.locator('tbody tr').first().waitFor();
    const tcpConvs = tsharkLines(caseA, ['-q', '-z', 'conv,tcp']).filter((l) => /<->/.test(l)).length;
    assert.equal(await table.locator('tbody tr').count(), tcpConvs, 'as many TCP conversations as tshark -z conv,tcp');
    await table.locator('th', { hasText: 'Port A' }).click();
    const ports = (await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).map(Number);
    assert.deepEqual(ports, [...ports].sort((a, b) => a - b), 'sorted by Port A');
    await shot('conversations');
    await page.keyboard.press('Escape');

    await page.getByTestId('tb-endpoints').click();
    await page.getByTestId('endpoints-table').locator('tbody tr').first().waitFor();
    await shot('endpoints');
    await page.keyboard.press('Escape');

    await page.getByTestId('tb-expert').click();
    await page.getByTestId('expert-table').locator('tbody tr').first().waitFor();
    await shot('expert');
    await page.keyboard.press('Escape');

    await page.getByTestId('tb-io').click();
    await page.getByTestId('iograph').locator('canvas').first().waitFor();
    await shot('io-graph');
    await page.keyboard.press('Escape');

    await page.getByTestId('tb-hierarchy').click();
    const phs = page.getByTestId('hierarchy-dialog');
    await phs.locator('tbody tr').first().waitFor();
    assert.match(await phs.innerText(), /Transmission Control Protocol|tcp/i);
    await shot('protocol-hierarchy');
    await page.keyboard.press('Escape');
  });

  it('start page: browse the allowed folder and open case B; its finding shows', async () => {
    await page.goto(server.base + '/#/');
    await page.getByTestId('open-file').waitFor();
    await page.getByRole('button', { name: 'Browse…' }).click();
    const dlg = page.getByTestId('browse-dialog');
    await dlg.locator('tr[data-name="seed-case-b-tns-redirect-blocked.pcap"]').waitFor();
    await shot('start-browse');
    await page.keyboard.press('Escape');
    await shot('start-page');
    await page.getByTestId('open-path').fill(caseB);
    await page.getByTestId('open-button').click();
    const finding = page.getByTestId('finding').first();
    await finding.waitFor({ timeout: 20_000 });
    const expectedB = doctor(caseB).map((x) => x.title).sort();
    await until('case B findings as doctor --json', () => page.getByTestId('finding').locator('.finding-title').allInnerTexts(),
      (t) => JSON.stringify([...t].sort()) === JSON.stringify(expectedB));
    await until('15 packets', counts, (t) => /Packets: 15\b/.test(t));
    await page.getByTestId('evidence-flow').click();
    await page.getByTestId('flow-svg').waitFor();
    const labels = await page.getByTestId('flow-svg').locator(".flow-label").allTextContents();
    assert.ok(labels.some((l) => /Redirect/i.test(l)), `the TNS redirect is named in ${JSON.stringify(labels)}`);
    await shot('case-b-flow');
    await page.keyboard.press('Escape');
    await shot('case-b-finding');
  });

  it('uploading a capture from the browser opens it', async () => {
    await page.goto(server.base + '/?upload#/');
    await page.locator('input[type=file]').setInputFiles(caseB);
    const finding = page.getByTestId('finding').first();
    await finding.waitFor({ timeout: 20_000 });
    const first = await finding.locator('.finding-title').innerText();
    assert.ok(doctor(caseB).some((x) => x.title === first), `${first} is one of doctor's findings`);
    await until('15 packets', counts, (t) => /Packets: 15\b/.test(t));
  });

  it('opening a path outside the allowed folders is refused', async () => {
    await page.goto(server.base + '/#/');
    await page.getByTestId('open-path').fill('/etc/passwd');
    await page.getByTestId('open-button').click();
    await until('an error', () => page.getByTestId('open-file').innerText(), (t) => /outside|not allowed|forbidden|403/i.test(t));
  });

  it('live capture in a network namespace streams into the packet view, stops, downloads as pcapng', { skip: !hasRoot() && 'needs root (capture)' }, async () => {
    // The page opens first: namespaces made afterwards must appear, with their packet-rate sparklines.
    await page.goto(server.base + '/?live#/');
    await page.getByTestId('live-capture').waitFor();
    const ns = makeNetnsPair(String(process.pid % 10000));
    try {
      const point = page.locator('.point', { hasText: ns.client });
      await point.waitFor({ timeout: 20_000 });
      // The packet-rate sparkline fills from the server's rates (SSE, every second).
      await until('a sparkline with rates', () => point.locator('svg.sparkline polyline').count(), (c) => c === 1);
      await point.click();
      await page.getByTestId('capture-filter').fill('icmp or tcp');
      await shot('live-start');
      await page.getByTestId('capture-start').click();
      await page.getByTestId('stop-capture').waitFor({ timeout: 20_000 });
      const idA = decodeURIComponent(/#\/c\/([^/]+)/.exec(page.url())?.[1] ?? '');
      assert.ok(idA, `a capture route in ${page.url()}`);
      // A second point, on the server's side of the link, takes only what goes to the TCP server: the comparison
      // matches those and marks the rest (replies, pings) as missing there.
      const points = (await api('/api/points')) as { id: string; label: string }[];
      const serverPoint = points.find((p) => p.label === ns.server);
      assert.ok(serverPoint, `the server namespace is a capture point: ${JSON.stringify(points)}`);
      const { id: idB } = (await api('/api/live', { points: [serverPoint.id], filter: 'tcp dst port 7000' })) as { id: string };
      await new Promise((r) => setTimeout(r, 500));
      // BusyBox's ping (busybox-static, installed by setup --tests): Debian's iputils-ping is not among the test packages.
      const ping = spawn('ip', ['netns', 'exec', ns.client, 'busybox', 'ping', '-c', '6', '-i', '0.2', '-W', '5', ns.serverAddr], { stdio: 'ignore' });
      const pinged = new Promise<number | null>((r) => ping.once('exit', r));
      const sizeBefore = await page.getByTestId('file-size').innerText();
      await until('12 ICMP packets in the live view', counts, (t) => Number((/Packets: ([\d,]+)/.exec(t)?.[1] ?? '0').replace(/,/g, '')) >= 12, 20_000);
      // The file size in the status bar grows with the capture.
      await until('the live file size grows', () => page.getByTestId('file-size').innerText(), (t) => t !== sizeBefore, 10_000);
      assert.equal(await pinged, 0, 'ping got its replies');
      await page.locator('.pl-row[data-no="1"]').waitFor();
      assert.equal(await page.locator('.pl-row[data-no="1"] .c-proto').innerText(), 'ICMP');
      await shot('live-capturing');
      // A TCP exchange between the namespaces (a node echo server), for the comparison below.
      const echo = spawn('ip', ['netns', 'exec', ns.server, process.execPath, '-e',
        `require('net').createServer((s) => s.on('data', (d) => s.write('pong ' + d))).listen(7000, '${ns.serverAddr}', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        await new Promise<void>((r) => echo.stdout!.once('data', () => r()));
        for (let i = 0; i < 3; i++) {
          ns.exec(ns.client, [process.execPath, '-e', `const s = require('net').connect(7000, '${ns.serverAddr}', () => s.write('ping ${i}')); s.once('data', () => s.end())`]);
        }
      } finally {
        echo.kill();
      }
      // A refused connection: the diagnosis panel updates while the capture runs.
      ns.exec(ns.client, [process.execPath, '-e', `require('net').connect(7001, '${ns.serverAddr}').on('error', () => {})`]);
      await until('a finding while capturing', () => page.getByTestId('finding').count(), (c) => c > 0, 20_000);
      assert.ok(await page.getByTestId('stop-capture').isVisible(), 'still capturing');
      await shot('live-finding');
      await page.getByTestId('stop-capture').click();
      await page.getByTestId('stop-capture').waitFor({ state: 'detached', timeout: 20_000 });
      await api(`/api/live/${idB}`, undefined, 'DELETE');
      const href = await page.getByTestId('download').getAttribute('href');
      assert.ok(href);
      const r = await fetch(new URL(href, server.base), { headers: { authorization: `Bearer ${server.token}` } });
      assert.equal(r.status, 200);
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(body.readUInt32BE(0), 0x0a0d0d0a, 'a pcapng section header');
      fs.writeFileSync(join(shots, 'live.pcapng'), body);
      const lines = tsharkLines(join(shots, 'live.pcapng'), ['-Y', 'icmp.type == 8 || icmp.type == 0']);
      assert.ok(lines.length >= 12, `tshark reads the download: ${lines.length} echo packets`);
      const total = tsharkLines(join(shots, 'live.pcapng'), []).length;
      const toServer = tsharkCount(join(shots, 'live.pcapng'), 'tcp.dstport == 7000');
      assert.ok(toServer >= 9, `three TCP connections to the echo server: ${toServer} packets`);
      // The comparison matches every IP packet (TCP/UDP by the diagnosis' matcher, ICMP and the rest here): what B did
      // not take is the rest of the TCP, the pings and any other IP packet (IPv6 neighbour discovery).
      liveExpect = { matched: toServer, onlyA: tsharkCount(join(shots, 'live.pcapng'), '(tcp && !(tcp.dstport == 7000)) || icmp || icmpv6 || ((ip || ipv6) && !tcp && !udp)') };
      const expected = doctor(join(shots, 'live.pcapng')).map((f) => f.title).sort();
      assert.ok(expected.length > 0);
      await until('the findings of doctor --json on the downloaded capture', () => page.getByTestId('finding').locator('.finding-title').allInnerTexts(),
        (t) => JSON.stringify([...t].sort()) === JSON.stringify(expected));
      assert.equal(total, toServer + liveExpect.onlyA + tsharkCount(join(shots, 'live.pcapng'), '!(ip || ipv6)'), 'the capture holds the pings and the TCP exchanges');
      await shot('live-stopped');
      liveIds = [idA, idB];
      ns2 = ns;
    } catch (e) {
      await shot('live-failure').catch(() => {});
      throw e;
    } finally {
      ns.teardown();
    }
  });

  it('two capture points side by side: matched packets linked, missing ones marked', { skip: !hasRoot() && 'needs the live captures (root)' }, async () => {
    assert.ok(liveIds, 'the live test made two captures');
    const [idA, idB] = liveIds;
    await page.goto(`${server.base}/?compare#/compare/${encodeURIComponent(idA)}/${encodeURIComponent(idB)}`);
    const summary = page.getByTestId('compare-summary');
    try {
      await summary.waitFor({ timeout: 20_000 });
      const { matched, onlyA } = liveExpect;
      assert.match(await summary.innerText(), new RegExp(`^${matched} matched · ${onlyA} only in A · 0 only in B`));
      const listA = page.getByTestId('compare-list-a'), listB = page.getByTestId('compare-list-b');
      await until('packets B did not take marked missing', () => listA.locator('.pl-row.only').count(), (c) => c > 0);
      for (const row of await listA.locator('.pl-row.only').all()) {
        const [src, info] = [await row.locator('.c-src').innerText(), await row.locator('.c-info').innerText()];
        const proto = await row.locator('.c-proto').innerText();
        assert.ok(src === ns2.serverAddr || /\b7001\b/.test(info) || /^ICMP/.test(proto), `only the server's packets, the refused connection and the pings are missing in B: ${src} ${proto} ${info}`);
      }
      // The first packet to the echo server: selecting it in A selects its match in B.
      const firstTcp = listA.locator('.pl-row.matched').first();
      await firstTcp.scrollIntoViewIfNeeded();
      await firstTcp.click();
      await until('its match selected in B', () => listB.locator('.pl-row[aria-selected=true]').getAttribute('data-no'), (v) => v === '1');
      await shot('compare-two-points');
    } catch (e) {
      await shot('compare-failure').catch(() => {});
      const notice = await page.locator('.notice').allInnerTexts();
      throw new Error(`${String(e)}\npage says: ${notice.join(' | ')}`);
    }
  });

  it('no errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
