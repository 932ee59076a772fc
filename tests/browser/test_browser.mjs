// The viewer and the embeddable map in a real browser: Debian's chromium
// driven by playwright-core (from tests/node). Run by test_browser.sh:
//
//   node test_browser.mjs BASE_URL
//
// BASE_URL is the coopmap server (http://127.0.0.1:PORT/). Screenshots go to
// $COOPMAP_BUILD/screenshots/ (or a temp dir). Prints TAP-like "ok - ..." /
// "not ok - ..." lines and a closing "N passed, M failed"; exits 1 on any
// failure. Everything is bounded: each wait has a timeout and the whole run
// stops after COOPMAP_BROWSER_TIMEOUT seconds (default 120).

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const { chromium } = require('playwright-core');

const base = new URL(process.argv[2] || process.env.COOPMAP_URL || '');
const origin = base.origin;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const overallSeconds = Number(process.env.COOPMAP_BROWSER_TIMEOUT || 120);
const shotDir = path.join(process.env.COOPMAP_BUILD || os.tmpdir(), 'screenshots');
const TOWN = 'Ptuj';
const OTHER = 'Ormož';
const EXPECTED_TOWNS = 24;

let passed = 0;
let failed = 0;
let stopped = false; // set by the overall timeout: later results are not printed
function ok(what) {
  if (stopped) return;
  passed++;
  console.log(`ok - ${what}`);
}
function notOk(what, detail) {
  if (stopped) return;
  failed++;
  console.log(`not ok - ${what}`);
  if (detail) {
    // eslint-disable-next-line no-control-regex
    const lines = String(detail).replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter(l => l.trim());
    for (const line of lines.slice(0, 20)) console.log(`#   ${line}`);
  }
}
function check(what, cond, detail) { if (cond) ok(what); else notOk(what, detail); return cond; }
function note(msg) { if (!stopped) console.log(`# ${msg}`); }

// Runs one step; an exception is one failure with its message, and the
// steps after it still run (they may fail for the same reason).
async function step(what, fn, { needs } = {}) {
  if (needs && !needs()) {
    notOk(`${what} (not tried: the viewer never became ready)`);
    return;
  }
  try {
    await fn();
  } catch (e) {
    notOk(what, e && e.stack ? e.message : e);
  }
}

let browser = null;
let userDataDir = null;
let standalone = null;

function finish(code) {
  if (stopped) return;
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = code ?? (failed ? 1 : 0);
}

async function shutdown() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (standalone) await new Promise(r => standalone.close(r));
  standalone = null;
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  userDataDir = null;
}

const overall = setTimeout(async () => {
  notOk(`whole run within ${overallSeconds} s`);
  finish(1);
  stopped = true;
  const kill = setTimeout(() => process.exit(1), 5000);
  kill.unref();
  await shutdown().catch(() => {});
  process.exit(1);
}, overallSeconds * 1000);
overall.unref();

// Watches a page (and its frames): console errors, failed requests,
// responses >= 400, and the status of every tile request.
function watch(page, label) {
  const w = { consoleErrors: [], failedRequests: [], badResponses: [], tiles: new Map(), label };
  page.on('console', msg => {
    if (msg.type() === 'error') w.consoleErrors.push(`${msg.text()} (${msg.location().url || 'no url'})`);
  });
  page.on('pageerror', err => w.consoleErrors.push(`uncaught: ${err.message}`));
  page.on('request', req => {
    if (req.url().includes('/tiles/')) w.tiles.set(req.url(), 'pending');
  });
  page.on('requestfailed', req => {
    const why = req.failure() ? req.failure().errorText : 'failed';
    w.failedRequests.push(`${req.method()} ${req.url()}: ${why}`);
    if (req.url().includes('/tiles/')) w.tiles.set(req.url(), why);
  });
  page.on('response', res => {
    if (res.status() >= 400) w.badResponses.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    if (res.url().includes('/tiles/')) w.tiles.set(res.url(), res.status());
  });
  return w;
}

// Counts since `mark` (an index snapshot) so later phases can be checked
// separately from the initial load.
function snapshot(w) {
  return { c: w.consoleErrors.length, f: w.failedRequests.length, b: w.badResponses.length };
}
function since(w, mark) {
  return {
    consoleErrors: w.consoleErrors.slice(mark.c),
    failedRequests: w.failedRequests.slice(mark.f),
    badResponses: w.badResponses.slice(mark.b),
  };
}

function checkClean(what, w, mark, { ignoreAbortedTiles = false } = {}) {
  const s = since(w, mark);
  // Leaflet cancels the tiles it no longer needs when the map pans or zooms
  // (an opened popup pans it): those aborts are not errors.
  const failedRequests = ignoreAbortedTiles
    ? s.failedRequests.filter(f => !(f.includes('/tiles/') && f.endsWith('net::ERR_ABORTED')))
    : s.failedRequests;
  check(`${what}: no console errors (${s.consoleErrors.length})`, s.consoleErrors.length === 0,
    s.consoleErrors.join('\n'));
  check(`${what}: no failed requests (${failedRequests.length})`, failedRequests.length === 0,
    failedRequests.join('\n'));
  check(`${what}: no responses >= 400 (${s.badResponses.length})`, s.badResponses.length === 0,
    s.badResponses.join('\n'));
}

function checkTiles(what, w, { ignoreAborted = false } = {}) {
  const entries = [...w.tiles.entries()].filter(([, st]) => !(ignoreAborted && st === 'net::ERR_ABORTED'));
  const bad = entries.filter(([, st]) => st !== 200);
  check(`${what}: every tile request answered 200 (${entries.length - bad.length} of ${entries.length})`,
    entries.length > 0 && bad.length === 0,
    entries.length === 0 ? 'no tile requests at all' : bad.map(([u, st]) => `${st} ${u}`).join('\n'));
}

async function getJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(15000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return { json: await res.json(), headers: res.headers };
}

function tieCount(fc) {
  return fc.features.filter(f => f.properties && f.properties.kind === 'tie').length;
}

// A small page on another origin (another port of 127.0.0.1) that frames
// the embeddable map, as a site embedding coopmap would.
function startStandalone(embedUrl) {
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>coopmap embedded elsewhere</title></head>
<body style="margin:0;font-family:sans-serif">
<h1 style="font-size:16px;margin:8px">A page on another origin</h1>
<iframe id="map" src="${embedUrl}" width="640" height="420" style="border:1px solid #888;margin:8px"
  title="coopmap"></iframe>
</body></html>`;
  return new Promise((resolve, reject) => {
    const srv = http.createServer((req, res) => {
      if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(html);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
      }
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

async function main() {
  if (!process.argv[2] && !process.env.COOPMAP_URL) throw new Error('usage: node test_browser.mjs BASE_URL');
  fs.mkdirSync(shotDir, { recursive: true });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coopmap-chromium-'));

  // A fresh, empty profile each run (playwright takes it as the persistent
  // context's directory rather than as --user-data-dir).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    timeout: 30000,
    viewport: { width: 1024, height: 768 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  browser = context;
  note(`chromium ${context.browser() ? context.browser().version() : '?'} at ${executablePath}`);
  for (const p of context.pages()) await p.close();
  context.setDefaultTimeout(20000);

  // ---- the viewer -------------------------------------------------------
  const page = await context.newPage();
  const w = watch(page, 'viewer');
  const start = snapshot(w);
  let loaded = false;
  await step('viewer loads and sets body[data-ready=true] within 20 s', async () => {
    const res = await page.goto(`${origin}/viewer`, { waitUntil: 'domcontentloaded', timeout: 20000 });
    const html = res && res.status() === 200 && (res.headers()['content-type'] || '').startsWith('text/html');
    if (!check('GET /viewer is 200 HTML', html, res ? `${res.status()} ${res.headers()['content-type']}` : 'no response'))
      throw new Error('no viewer page to wait for');
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20000 });
    ok('viewer sets body[data-ready=true] within 20 s');
    loaded = true;
  });
  // Tiles still in flight when ready is set finish first.
  await page.waitForLoadState('networkidle', { timeout: 10000 }).catch(() => {});
  checkClean('viewer load', w, start);
  checkTiles('viewer load', w);

  // ---- towns ----------------------------------------------------------
  let townNames = [];
  await step('towns on the map', async () => {
    const counts = await page.evaluate(() => ({
      names: window.coopmap && window.coopmap.towns ? Object.keys(window.coopmap.towns) : null,
      paths: document.querySelectorAll('path.town-marker').length,
    }));
    townNames = counts.names || [];
    check(`window.coopmap.towns has ${EXPECTED_TOWNS} towns (${counts.names ? counts.names.length : 'missing'})`,
      counts.names && counts.names.length === EXPECTED_TOWNS);
    check(`${EXPECTED_TOWNS} path.town-marker elements (${counts.paths})`, counts.paths === EXPECTED_TOWNS);
  }, { needs: () => loaded });

  // ---- popup distances --------------------------------------------------
  await step(`${TOWN}'s popup gives the distance to ${OTHER} as /distances does`, async () => {
    await page.evaluate(name => window.coopmap.clickTown(name), TOWN);
    const row = page.locator(`.leaflet-popup-content tr[data-town="${OTHER}"]`);
    await row.waitFor({ state: 'attached', timeout: 10000 });
    ok(`${TOWN}'s popup has a row for ${OTHER}`);
    const metres = await row.getAttribute('data-metres');
    const rows = await page.locator('.leaflet-popup-content tr[data-town]').evaluateAll(
      trs => trs.map(tr => tr.dataset.town));
    const others = townNames.filter(n => n !== TOWN);
    const missing = others.filter(n => !rows.includes(n));
    check(`${TOWN}'s popup has a row for each of the other ${others.length} towns (${rows.length} rows)`,
      others.length > 0 && missing.length === 0 && !rows.includes(TOWN),
      `missing: ${missing.join(', ') || '-'}; rows: ${rows.join(', ')}`);
    const api = await page.evaluate(async q => {
      const r = await fetch(q);
      return { status: r.status, body: await r.json() };
    }, `/distances?from=${encodeURIComponent(TOWN)}&to=${encodeURIComponent(OTHER)}`);
    const km = api.status === 200 ? api.body.pairs[0].distance_km : NaN;
    const want = Math.round(km * 1000);
    check(`data-metres ${metres} = round(/distances ${km} km * 1000) = ${want}`,
      /^-?\d+$/.test(metres || '') && Number(metres) === want,
      `status ${api.status}, data-metres ${JSON.stringify(metres)}`);
    await page.screenshot({ path: path.join(shotDir, 'viewer-popup.png') });
    await page.evaluate(() => document.querySelector('.leaflet-popup-close-button')?.click());
  }, { needs: () => loaded });

  // A real click on the marker (same order as the GeoJSON features).
  await step(`a click on ${TOWN}'s marker opens its popup`, async () => {
    const items = await page.evaluate(async () =>
      (await (await fetch('/collections/towns/items?limit=1000')).json()).features.map(f => f.properties.name));
    const i = items.indexOf(TOWN);
    if (i < 0) throw new Error(`${TOWN} is not among /collections/towns/items`);
    await page.evaluate(() => document.querySelector('.leaflet-popup-close-button')?.click());
    await page.locator('path.town-marker').nth(i).click({ timeout: 10000 });
    await page.locator(`.leaflet-popup-content tr[data-town="${OTHER}"]`).waitFor({ state: 'attached', timeout: 10000 });
    const title = await page.locator('.leaflet-popup-content').innerText();
    check(`a click on marker ${i} opens ${TOWN}'s popup`, title.includes(TOWN), title.slice(0, 200));
    await page.evaluate(() => document.querySelector('.leaflet-popup-close-button')?.click());
  }, { needs: () => loaded });

  // ---- network models ---------------------------------------------------
  const cases = [
    { model: 'mst', crossBorder: false },
    { model: 'knn', k: 3, crossBorder: false },
    { model: 'gabriel', crossBorder: false },
    { model: 'complete', crossBorder: true },
  ];
  const netRequests = [];
  page.on('request', req => { if (new URL(req.url()).pathname === '/network') netRequests.push(req.url()); });
  const netMark = snapshot(w);
  for (const c of cases) {
    const label = `network ${c.model}${c.k ? ` k=${c.k}` : ''}${c.crossBorder ? ' cross-border' : ''}`;
    await step(`${label}: viewer draws the ties /network reports`, async () => {
      // Settle the side inputs first (each may redraw), then the model.
      const settle = () => page.waitForFunction(() => document.body.dataset.networkReady === 'true',
        null, { timeout: 20000 });
      if (c.k !== undefined) {
        await page.fill('input#k', String(c.k));
        await page.locator('input#k').dispatchEvent('change');
        await page.waitForTimeout(100);
        await settle();
      }
      const box = page.locator('input#cross-border');
      if ((await box.isChecked()) !== c.crossBorder) {
        await box.setChecked(c.crossBorder);
        await page.waitForTimeout(100);
        await settle();
      }
      // Record every value data-network-ready takes from here on.
      await page.evaluate(() => {
        window.__netLog = [];
        if (window.__netObserver) window.__netObserver.disconnect();
        window.__netObserver = new MutationObserver(() =>
          window.__netLog.push(document.body.dataset.networkReady));
        window.__netObserver.observe(document.body, { attributes: true, attributeFilter: ['data-network-ready'] });
      });
      const before = netRequests.length;
      await page.selectOption('select#model', c.model);
      await page.waitForFunction(() => window.__netLog.includes('false') &&
        document.body.dataset.networkReady === 'true', null, { timeout: 20000 })
        .catch(async e => {
          const log = await page.evaluate(() => window.__netLog).catch(() => '?');
          throw new Error(`networkReady did not go "false" then "true" within 20 s (values seen: ${JSON.stringify(log)}): ${e.message.split('\n')[0]}`);
        });
      const drawn = await page.evaluate(() => ({
        count: window.coopmap.edgeCount(),
        paths: document.querySelectorAll('path.network-edge').length,
      }));
      const q = new URLSearchParams({ model: c.model });
      if (c.k !== undefined) q.set('k', String(c.k));
      q.set('cross_border', c.crossBorder ? 'true' : 'false');
      const { json } = await getJson(`${origin}/network?${q}`);
      const ties = tieCount(json);
      const asked = netRequests.slice(before);
      const detail = `coopmap: /network?${q} has ${ties} ties; viewer asked ${asked.map(u => u.slice(origin.length)).join(' ') || 'nothing'}`;
      check(`${label}: edgeCount() ${drawn.count} = ${ties} ties`, drawn.count === ties, detail);
      check(`${label}: ${drawn.paths} path.network-edge = ${ties} ties`, drawn.paths === ties, detail);
    }, { needs: () => loaded });
  }
  checkClean('network changes', w, netMark, { ignoreAbortedTiles: true });
  await step('viewer screenshot', async () => {
    await page.screenshot({ path: path.join(shotDir, 'viewer.png') });
    ok(`screenshot ${path.join(shotDir, 'viewer.png')}`);
  });
  checkTiles('viewer, whole session', w, { ignoreAborted: true });
  checkClean('viewer, whole session', w, start, { ignoreAbortedTiles: true });
  await page.close();

  // ---- the embeddable map in a page of another origin --------------------
  const embedPath = `/embed?style=light&town=${encodeURIComponent(TOWN)}&zoom=10`;
  await step('/embed allows framing by any origin', async () => {
    const res = await fetch(`${origin}${embedPath}`, { signal: AbortSignal.timeout(10000) });
    const csp = res.headers.get('content-security-policy') || '';
    check(`/embed is 200 HTML (${res.status} ${res.headers.get('content-type')})`,
      res.status === 200 && (res.headers.get('content-type') || '').startsWith('text/html'));
    check(`/embed Content-Security-Policy is frame-ancestors * (${JSON.stringify(csp)})`,
      /(^|;)\s*frame-ancestors \*\s*(;|$)/.test(csp));
    const xfo = res.headers.get('x-frame-options');
    check(`/embed sends no X-Frame-Options (${xfo})`, xfo === null);
  });

  standalone = await startStandalone(`${origin}${embedPath}`);
  const outer = `http://127.0.0.1:${standalone.address().port}/`;
  note(`framing page at ${outer}`);
  const epage = await context.newPage();
  const ew = watch(epage, 'embed');
  const emark = snapshot(ew);
  await step('embed in an iframe on another origin sets body[data-ready=true] within 20 s', async () => {
    await epage.goto(outer, { waitUntil: 'domcontentloaded', timeout: 20000 });
    const frame = epage.frameLocator('iframe#map');
    await frame.locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout: 20000 });
    ok('embed in an iframe on another origin sets body[data-ready=true] within 20 s');
    const loadedTiles = await frame.locator('img.leaflet-tile-loaded').count();
    check(`tiles loaded inside the frame (${loadedTiles} img.leaflet-tile-loaded)`, loadedTiles > 0);
    const f = epage.frames().find(fr => fr.url().startsWith(`${origin}/embed`));
    check('the frame is the coopmap /embed page', !!f, epage.frames().map(fr => fr.url()).join('\n'));
    if (f) {
      const styles = await f.evaluate(() =>
        [...document.querySelectorAll('img.leaflet-tile')].map(i => i.src));
      check('the frame shows light tiles', styles.length > 0 && styles.every(s => s.includes('/tiles/light/')),
        styles.slice(0, 5).join('\n'));
    }
  });
  await epage.waitForLoadState('networkidle', { timeout: 10000 }).catch(() => {});
  checkClean('embed', ew, emark);
  checkTiles('embed', ew);
  await step('embed screenshot', async () => {
    await epage.screenshot({ path: path.join(shotDir, 'embed.png') });
    ok(`screenshot ${path.join(shotDir, 'embed.png')}`);
  });
  if (!loaded) note('the viewer never became ready: the checks after it are likely to fail for the same reason');
}

try {
  await main();
} catch (e) {
  notOk('browser test ran to the end', e && e.stack ? e.stack : e);
}
await shutdown().catch(() => {});
clearTimeout(overall);
finish();
