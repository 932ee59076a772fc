// The viewer for planners, in Debian's headless Chromium:
//   - web/i18n.js has every key in every language, none empty, the same
//     {placeholders} in each (read by node itself, not through the page);
//   - for each language (from the permalink): <html lang>, the panels, the
//     layer switcher and the legend show no English text that the language
//     translates; the tiles ask for labels in that language; a town popup
//     has the town's name in it (name_<lang> from /collections/towns) and
//     the country's (name_<lang> from /collections/countries);
//   - the browser's language picks the UI language when the permalink
//     does not (a context with locale hu-HU gets Hungarian);
//   - the language select switches, and the permalink keeps it;
//   - the export links are the view as /map.png and /map.pdf (box, size,
//     style, language: the PDF's text, read by pdftotext, has Pettau in
//     German), and the print layout (Chromium's own PDF of the page) has
//     the title, legend, scale bar and attribution, not the panels;
//   - the towns panel has /network/metrics's values and the nearest town
//     across a border (worked out here from /distances), sorts, zooms, and
//     downloads the same rows as CSV;
//   - the embed builder's code (town, zoom, language, bilingual labels,
//     network) is what its preview shows, draws that map in a page of
//     another origin (tiles with the labels asked for), and its <img>
//     fallback is a PNG of the size given;
//   - the town search finds a town by any of its names, without case or
//     accents: "pettau" finds Ptuj, "ormoz" Ormož, "muraszombat" Murska
//     Sobota; picking one opens its popup;
//   - axe-core (npm, pinned) finds no serious or critical accessibility
//     violation in the viewer (a popup and the towns panel open), the
//     builder and the embed;
//   - on a 390x844 phone the map fills the screen and no two controls
//     overlap, nor on a 768x1024 tablet (the screenshots are kept, to be
//     looked at);
//   - no console error, no failed request.
//   node test_planners.mjs BASE_URL SHOT_DIR
// Prints ok / not ok lines and "N passed, M failed"; exits 1 on a failure.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { execFileSync } from 'node:child_process';
import { chromium } from '../node/node_modules/playwright-core/index.mjs';

const [base, shotDir] = process.argv.slice(2);
let passed = 0, failed = 0;
const check = (what, cond, detail = '') => {
  if (cond) passed++; else failed++;
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}${detail ? ` (${detail})` : ''}`);
};

// The dictionaries, as the page gets them.
const sandbox = { window: {} };
vm.runInNewContext(fs.readFileSync(new URL('../../web/i18n.js', import.meta.url), 'utf8'), sandbox);
const I = sandbox.window.coopmapI18n;
const en = I.strings.en;
const holes = (s) => (s.match(/\{\w+\}/g) || []).sort().join();
for (const lang of I.LANGS) {
  const d = I.strings[lang];
  const missing = Object.keys(en).filter((k) => !d[k]);
  const extra = Object.keys(d).filter((k) => !(k in en));
  const bad = Object.keys(en).filter((k) => d[k] && holes(d[k]) !== holes(en[k]));
  check(`i18n ${lang}: all ${Object.keys(en).length} keys, none extra, the same placeholders`,
    missing.length + extra.length + bad.length === 0, [...missing, ...extra, ...bad].join(', '));
}

const towns = (await (await fetch(`${base}/collections/towns/items?limit=1000`)).json()).features;
const countries = (await (await fetch(`${base}/collections/countries/items?limit=100`)).json()).features;
const ptuj = towns.find((f) => f.properties.name === 'Ptuj');

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'coopmap-i18n-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, timeout: 30000,
  viewport: { width: 1024, height: 768 }, locale: 'en-US', acceptDownloads: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});

// Opens the viewer and waits for it; returns the page and what went wrong.
async function open(ctx, hash) {
  const page = await ctx.newPage();
  const problems = [], tiles = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  page.on('request', (r) => { if (/\/tiles\/[a-z]+\/\d+\//.test(r.url())) tiles.push(r.url()); });
  await page.goto(`${base}/viewer${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30000 });
  return { page, problems, tiles };
}

const axePath = new URL('../node/node_modules/axe-core/axe.min.js', import.meta.url).pathname;
async function audit(page, what) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] }))
    .violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length, at: v.nodes[0] ? v.nodes[0].target.join(' ') : '' })));
  const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const lesser = found.filter((v) => !bad.includes(v)).map((v) => `${v.id} (${v.impact})`);
  check(`${what}: axe-core finds no serious or critical violation (lesser: ${lesser.join(', ') || 'none'})`,
    bad.length === 0, bad.map((v) => `${v.id} (${v.impact}) x${v.n}: ${v.at}`).join(' | '));
}

// Boxes of the visible controls that overlap.
const overlaps = (page) => page.evaluate(() => {
  const els = [...document.querySelectorAll('.leaflet-control')].filter((e) => e.getBoundingClientRect().width > 0 &&
    getComputedStyle(e).display !== 'none' && getComputedStyle(e).visibility !== 'hidden');
  const out = [];
  els.forEach((a, i) => els.slice(i + 1).forEach((b) => {
    const r = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    if (r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom)
      out.push(`${a.className} / ${b.className}`);
  }));
  return out;
});

// The viewer's own words on screen: panels, the layer switcher, the legend.
const uiText = (page) => page.evaluate(() =>
  [...document.querySelectorAll('.panel, .leaflet-control-layers')].map((e) => e.textContent).join('\n'));

const pdfText = (file) => execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });

// The export links give the view (box, size, style, language) as PNG and
// PDF; the print layout has the title, legend, scale bar and attribution.
async function exportAndPrint(page, lang) {
  const view = await page.evaluate(() => {
    const b = window.coopmap.map.getBounds(), s = window.coopmap.map.getSize();
    return { bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], w: s.x, h: s.y,
      png: document.getElementById('export-png').href, pdf: document.getElementById('export-pdf').href };
  });
  const q = new URL(view.png).searchParams;
  const box = q.get('bbox').split(',').map(Number);
  check(`${lang}: the PNG export is the view: its box, ${view.w}x${view.h} px, style, language and network`,
    box.every((x, i) => Math.abs(x - view.bbox[i]) < 1e-4) && +q.get('width') === view.w &&
    +q.get('height') === view.h && q.get('lang') === lang && q.get('style') === 'light' &&
    q.get('network') === 'mst', view.png);
  const png = Buffer.from(await (await fetch(view.png)).arrayBuffer());
  check(`${lang}: the PNG is a ${view.w}x${view.h} PNG`, png.subarray(1, 4).toString() === 'PNG' &&
    png.readUInt32BE(16) === view.w && png.readUInt32BE(20) === view.h);
  const pdfFile = path.join(os.tmpdir(), `coopmap-export-${process.pid}.pdf`);
  fs.writeFileSync(pdfFile, Buffer.from(await (await fetch(view.pdf)).arrayBuffer()));
  const labels = pdfText(pdfFile);
  check(`${lang}: the PDF export labels Ptuj in ${lang} ("${ptuj.properties[`name_${lang}`]}")`,
    labels.split('\n').includes(ptuj.properties[`name_${lang}`]));
  await page.emulateMedia({ media: 'print' });
  const shown = await page.evaluate(() => Object.fromEntries(['.print-title', '.legend', '.leaflet-control-scale',
    '.leaflet-control-attribution', '.picker', '.search'].map((sel) => {
    const e = document.querySelector(sel);
    return [sel, !!e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0];
  })));
  check(`${lang}: the print layout shows the title, legend, scale bar and attribution, not the panels`,
    shown['.print-title'] && shown['.legend'] && shown['.leaflet-control-scale'] &&
    shown['.leaflet-control-attribution'] && !shown['.picker'] && !shown['.search'], JSON.stringify(shown));
  await page.pdf({ path: pdfFile, landscape: true, format: 'A4', printBackground: true });
  const printed = pdfText(pdfFile);
  check(`${lang}: the printed page has "${I.strings[lang].title}", "${I.strings[lang].legend}" and the attribution`,
    printed.includes(I.strings[lang].title) && printed.includes(I.strings[lang].legend) && printed.includes('GeoNames'));
  if (shotDir) fs.copyFileSync(pdfFile, path.join(shotDir, `viewer-print-${lang}.pdf`));
  fs.rmSync(pdfFile, { force: true });
  await page.emulateMedia({ media: 'screen' });
}

try {
  for (const lang of I.LANGS) {
    const { page, problems, tiles } = await open(context, `#map=10/46.5/15.9&style=light&lang=${lang}`);
    check(`${lang}: <html lang=${lang}>`, (await page.evaluate(() => document.documentElement.lang)) === lang);
    const text = await uiText(page);
    // English words this language says otherwise must not be on screen.
    const english = lang === 'en' ? [] : Object.keys(en)
      .filter((k) => I.strings[lang][k] !== en[k] && !/\{/.test(en[k]) && !I.strings[lang][k].includes(en[k]))
      .map((k) => en[k]).filter((s) => text.includes(s));
    check(`${lang}: no untranslated text in the panels, layer switcher and legend`, english.length === 0,
      english.slice(0, 5).join(' | '));
    const own = (I.strings[lang].legend);
    check(`${lang}: the legend says "${own}"`, text.includes(own));
    const wantLang = lang === 'en' ? tiles.every((u) => !u.includes('lang=')) : tiles.every((u) => u.includes(`lang=${lang}`));
    check(`${lang}: the ${tiles.length} tiles ask for labels in ${lang}`, tiles.length > 0 && wantLang, tiles[0]);
    await page.evaluate(() => window.coopmap.clickTown('Ptuj'));
    await page.waitForSelector('body[data-popup-ready="true"]', { state: 'attached', timeout: 20000 });
    const popup = await page.evaluate(() => document.querySelector('.leaflet-popup-content').textContent);
    const name = ptuj.properties[`name_${lang}`] || ptuj.properties.name;
    const si = countries.find((f) => f.properties.code === 'SI').properties;
    check(`${lang}: Ptuj's popup is headed "${name}" and says "${si[`name_${lang}`]}"`,
      popup.startsWith(name) && popup.includes(si[`name_${lang}`]), popup.slice(0, 80));
    check(`${lang}: no console error, no failed request`, problems.length === 0, problems.slice(0, 3).join(' | '));
    if (lang === 'de') await exportAndPrint(page, lang);
    if (shotDir && (lang === 'de' || lang === 'sl')) { // once the tiles and the popup's fade are done
      fs.mkdirSync(shotDir, { recursive: true });
      await page.waitForLoadState('networkidle', { timeout: 10000 }).catch(() => {});
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(shotDir, `viewer-${lang}.png`) });
    }
    await page.close();
  }

  // The language select switches, and the permalink keeps it.
  {
    const { page } = await open(context, '#map=9/46.9/16.15&lang=en');
    await Promise.all([page.waitForEvent('load'), page.selectOption('#lang', 'sl')]);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30000 });
    check('the language select switches to Slovenian, kept in the permalink',
      (await page.evaluate(() => document.documentElement.lang)) === 'sl' &&
      (await page.evaluate(() => location.hash)).includes('lang=sl'));
    // The search: any name, no case, no accents.
    for (const [typed, want] of [['pettau', 'Ptuj'], ['ormoz', 'Ormož'], ['MURASZOMBAT', 'Murska Sobota'],
      ['lendva', 'Lendava'], ['sankt gott', 'Szentgotthárd']]) {
      await page.fill('#town-search', typed);
      const first = await page.evaluate(() => {
        const li = document.querySelector('#town-results li');
        return li ? li.dataset.town : null;
      });
      check(`search "${typed}" finds ${want} first`, first === want, String(first));
    }
    await page.fill('#town-search', 'pettau');
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-popup-ready="true"]', { state: 'attached', timeout: 20000 });
    const popup = await page.evaluate(() => document.querySelector('.leaflet-popup-content').textContent);
    check('Enter on the search opens that town\'s popup', popup.startsWith('Ptuj'), popup.slice(0, 40));
    await page.fill('#town-search', 'atlantis');
    check('a name no town has: the search says so',
      (await page.textContent('#search-none')) === I.strings.sl.noTown);
    await page.close();
  }

  // The towns panel: /network/metrics's values, sorting, zooming, CSV.
  {
    const { page, problems } = await open(context, '#map=9/46.9/16.15&model=knn&k=3&lang=en');
    await page.waitForSelector('body[data-table-ready="true"]', { state: 'attached', timeout: 20000 });
    await page.click('#table-toggle');
    const metrics = await (await fetch(`${base}/network/metrics?model=knn&k=3`)).json();
    const matrix = await (await fetch(`${base}/distances`)).json();
    const country = Object.fromEntries(towns.map((f) => [f.properties.name, f.properties.country]));
    const nearest = {}; // worked out here: the closest town of another country
    matrix.from.forEach((a, i) => {
      let best = null;
      matrix.to.forEach((b, j) => {
        if (country[b.name] !== country[a.name] && (best === null || matrix.matrix_km[i][j] < matrix.matrix_km[i][best])) best = j;
      });
      nearest[a.name] = matrix.to[best].name;
    });
    const rows = await page.$$eval('#towns-table tbody tr', (trs) => trs.map((tr) => {
      const v = (k) => tr.querySelector(`td[data-key="${k}"]`).dataset.value;
      return { name: tr.dataset.town, degree: v('degree'), weighted: v('weighted_degree_km'),
        closeness: v('closeness'), betweenness: v('betweenness'), nearest: v('nearest') };
    }));
    const wrong = metrics.nodes.filter((n) => {
      const r = rows.find((x) => x.name === n.name);
      return !r || +r.degree !== n.degree || +r.weighted !== n.weighted_degree_km || +r.closeness !== n.closeness ||
        +r.betweenness !== n.betweenness || r.nearest !== nearest[n.name];
    }).map((n) => n.name);
    check(`the towns table: ${rows.length} rows with /network/metrics's values (knn, k=3) and the nearest town across a border`,
      rows.length === metrics.nodes.length && wrong.length === 0, wrong.join(', '));
    await page.click('#towns-table button[data-sort="betweenness"]');
    const order = await page.$$eval('#towns-table tbody td[data-key="betweenness"]', (tds) => tds.map((td) => +td.dataset.value));
    check('sorted by betweenness, highest first', order.every((x, i) => i === 0 || order[i - 1] >= x) &&
      order[0] === Math.max(...metrics.nodes.map((n) => n.betweenness)));
    await page.click('#towns-table button[data-sort="betweenness"]');
    const up = await page.$$eval('#towns-table tbody td[data-key="betweenness"]', (tds) => tds.map((td) => +td.dataset.value));
    check('a second click sorts lowest first', up.every((x, i) => i === 0 || up[i - 1] <= x));
    await page.click('#towns-table button[data-zoom="Lenti"]');
    await page.waitForSelector('.leaflet-popup-content h3', { timeout: 10000 });
    check('a town in the table opens its popup', (await page.textContent('.leaflet-popup-content h3')) === 'Lenti');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#table-csv')]);
    const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    const header = csv[0].split(',');
    const parsed = csv.slice(1).map((l) => Object.fromEntries(
      (l.match(/("([^"]|"")*"|[^,]*)(,|$)/g) || []).slice(0, header.length).map((c, i) =>
        [header[i], c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"')])));
    const csvWrong = metrics.nodes.filter((n) => {
      const r = parsed.find((x) => x.town === n.name);
      return !r || +r.degree !== n.degree || +r.betweenness !== n.betweenness || +r.closeness !== n.closeness ||
        r.nearest_across_border !== nearest[n.name];
    }).map((n) => n.name);
    check(`the CSV download (${download.suggestedFilename()}): a header and ${parsed.length} rows equal to /network/metrics`,
      header[0] === 'town' && parsed.length === metrics.nodes.length && csvWrong.length === 0, csvWrong.join(', '));
    check('towns panel: no console error, no failed request', problems.length === 0, problems.slice(0, 3).join(' | '));
    if (shotDir) await page.screenshot({ path: path.join(shotDir, 'viewer-table.png') });
    await page.close();
  }

  // The embed builder: its code shows the chosen map on another origin.
  {
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${base}/embed/builder?ui=de`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20000 });
    check('the embed builder speaks German', (await page.textContent('h1')) === I.strings.de['builder.title']);
    await page.selectOption('#town', 'Lendava');
    await page.fill('#zoom', '11');
    await page.selectOption('#lang', 'hu');
    await page.check('#bilingual');
    await page.selectOption('#network', 'mst');
    await page.waitForFunction(() => document.getElementById('code-iframe').value.includes('network=mst'));
    const code = await page.inputValue('#code-iframe'), img = await page.inputValue('#code-img');
    const src = new URL(code.match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&'));
    const p = Object.fromEntries(src.searchParams);
    check('the iframe code asks for Lendava, zoom 11, Hungarian bilingual labels, the MST',
      src.pathname === '/embed' && p.town === 'Lendava' && p.zoom === '11' && p.lang === 'hu' &&
      p.labels === 'bilingual' && p.network === 'mst', src.search);
    check('the preview is that map', (await page.getAttribute('#preview', 'src')) === src.href);
    const imgSrc = img.match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&');
    const png = Buffer.from(await (await fetch(imgSrc)).arrayBuffer());
    check('the <img> code is a 600x400 PNG of the same place and labels',
      png.subarray(1, 4).toString() === 'PNG' && png.readUInt32BE(16) === 600 && png.readUInt32BE(20) === 400 &&
      imgSrc.includes('lang=hu') && imgSrc.includes('labels=bilingual'), imgSrc);
    if (shotDir) {
      await page.frameLocator('#preview').locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout: 20000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shotDir, 'embed-builder.png'), fullPage: true });
    }
    // Pasted into a page of another origin.
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner town</title>
<link rel="icon" href="data:,"></head><body><h1>Lendva</h1>${code}</body></html>`;
    const other = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(html); });
    await new Promise((r) => other.listen(0, '127.0.0.1', r));
    try {
      const tiles = [];
      const o = await context.newPage();
      o.on('request', (r) => { if (/\/tiles\/[a-z]+\/\d+\//.test(r.url())) tiles.push(r.url()); });
      o.on('pageerror', (e) => problems.push(String(e)));
      await o.goto(`http://127.0.0.1:${other.address().port}/`);
      const frame = await (await o.waitForSelector('iframe')).contentFrame();
      await frame.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20000 });
      check(`on another origin the embed draws it: ${tiles.length} tiles with Hungarian bilingual labels`,
        tiles.length > 0 && tiles.every((u) => u.includes('lang=hu') && u.includes('labels=bilingual')), tiles[0]);
      await o.close();
    } finally {
      other.close();
    }
    check('embed builder: no error, no failed request', problems.length === 0, problems.slice(0, 3).join(' | '));
    await page.close();
  }

  // Accessibility, and a phone.
  {
    const { page } = await open(context, '#map=9/46.9/16.15&lang=de');
    await page.evaluate(() => window.coopmap.clickTown('Ptuj'));
    await page.waitForSelector('body[data-popup-ready="true"]', { state: 'attached', timeout: 20000 });
    await page.waitForSelector('body[data-table-ready="true"]', { state: 'attached', timeout: 20000 });
    await page.click('#table-toggle');
    await audit(page, 'the viewer (German, a popup and the towns panel open)');
    await page.goto(`${base}/embed/builder`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20000 });
    await audit(page, 'the embed builder');
    await page.goto(`${base}/embed?town=Ptuj&zoom=10&lang=sl`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20000 });
    await audit(page, 'the embed');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/viewer#map=9/46.7/16.1&lang=sl`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30000 });
    await page.waitForLoadState('networkidle', { timeout: 10000 }).catch(() => {});
    const map = await page.evaluate(() => { const r = document.getElementById('map').getBoundingClientRect(); return [r.width, r.height]; });
    const over = await overlaps(page);
    check(`a 390x844 phone: the map fills it (${map.join('x')}) and no controls overlap`,
      map[0] === 390 && map[1] === 844 && over.length === 0, over.join(', '));
    if (shotDir) await page.screenshot({ path: path.join(shotDir, 'viewer-phone.png') });
    await audit(page, 'the viewer on a phone');
    await page.setViewportSize({ width: 768, height: 1024 }); // a tablet, upright
    await page.goto(`${base}/viewer#map=9/46.7/16.1&lang=hu`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30000 });
    const tablet = await overlaps(page);
    check('a 768x1024 tablet: no controls overlap', tablet.length === 0, tablet.join(', '));
    if (shotDir) await page.screenshot({ path: path.join(shotDir, 'viewer-tablet.png') });
    await page.close();
  }

  // The browser's language, when the permalink has none.
  const profile2 = fs.mkdtempSync(path.join(os.tmpdir(), 'coopmap-i18n-hu-'));
  const ctx2 = await chromium.launchPersistentContext(profile2, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, timeout: 30000,
    viewport: { width: 800, height: 600 }, locale: 'hu-HU',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--lang=hu-HU', '--no-first-run'],
  });
  try {
    const { page } = await open(ctx2, '');
    check('a Hungarian browser gets the Hungarian viewer', (await page.evaluate(() => document.documentElement.lang)) === 'hu',
      await page.evaluate(() => navigator.languages.join()));
  } finally {
    await ctx2.close();
    fs.rmSync(profile2, { recursive: true, force: true });
  }
} catch (e) {
  check('the i18n run completes', false, String(e).split('\n')[0]);
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
