// MapLibre GL JS (npm, pinned in tests/node) in Debian's headless Chromium
// (WebGL through SwiftShader) loads coopmap's own style (and then the
// viewer's vector mode: MapLibre under the same overlays and popups),
// BASE/styles/default.json, with its vector tiles and glyphs:
//   - no console error and no failed request;
//   - the 24 towns are labelled (queryRenderedFeatures on the symbol layers);
//   - the picture matches coopmap's raster map of the same view
//     (/map.png with the same centre and zoom): compared in 16 x 16 px
//     blocks by mean colour, at least MIN_SAME of the blocks within
//     MAX_DIFF (RGB distance) of each other. Labels are drawn by two
//     different engines and may sit on other sides of their towns, so the
//     comparison is of colours in places, not of pixels.
//   node test_maplibre.mjs BASE_URL SHOT_DIR
// Prints ok / not ok lines and "N passed, M failed"; exits 1 on a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '../node/node_modules/playwright-core/index.mjs';

const [base, shotDir] = process.argv.slice(2);
const dist = new URL('../node/node_modules/maplibre-gl/dist/', import.meta.url).pathname;
const MAX_DIFF = 8, MIN_SAME = 0.95, W = 1600, H = 1500;
let passed = 0, failed = 0;
const check = (what, cond, detail = '') => {
  if (cond) passed++; else failed++;
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}${detail ? ` (${detail})` : ''}`);
};

const towns = await (await fetch(`${base}/collections/towns/items?limit=1000`)).json();
const lons = towns.features.map((f) => f.geometry.coordinates[0]);
const lats = towns.features.map((f) => f.geometry.coordinates[1]);
const center = [(Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2];
const zoom = 10; // all 24 towns in view and labelled; coopmap's zoom (256 px tiles); MapLibre counts 512 px tiles: zoom - 1
const style = await (await fetch(`${base}/styles/default.json`)).json();
const labelLayers = style.layers.filter((l) => l.type === 'symbol').map((l) => l.id);

const page_html = `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/__test/maplibre-gl.css">
<script src="/__test/maplibre-gl.js"></script>
<style>body{margin:0} #map{width:${W}px;height:${H}px}</style></head>
<body><div id="map"></div><script>
  window.map = new maplibregl.Map({container: 'map', style: ${JSON.stringify(`${base}/styles/default.json`)},
    center: ${JSON.stringify(center)}, zoom: ${zoom - 1}, attributionControl: false,
    fadeDuration: 0, canvasContextAttributes: {preserveDrawingBuffer: true}});
  map.once('idle', () => { document.body.dataset.idle = 'true'; });
  map.on('error', (e) => console.error('maplibre: ' + (e.error && e.error.message)));
</script></body></html>`;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'coopmap-maplibre-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, timeout: 30000,
  viewport: { width: W, height: H },
  args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--ignore-gpu-blocklist', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await context.newPage();
  const errors = [], failedRequests = [];
  let glyphs = 0, vectorTiles = 0;
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => failedRequests.push(`${r.url()} ${r.failure() && r.failure().errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) failedRequests.push(`${r.url()} ${r.status()}`);
    if (r.url().includes('/fonts/')) glyphs++;
    if (r.url().includes('/tiles/vector/')) vectorTiles++;
  });
  // The page and MapLibre's files are answered by the browser itself, on
  // coopmap's origin (so no cross-origin rule to a loopback address applies).
  await page.route(`${base}/__test/**`, (route) => {
    const name = path.basename(new URL(route.request().url()).pathname);
    if (name === 'index.html') return route.fulfill({ contentType: 'text/html', body: page_html });
    const type = name.endsWith('.css') ? 'text/css' : 'application/javascript';
    return route.fulfill({ contentType: type, body: fs.readFileSync(path.join(dist, path.basename(name))) });
  });
  await page.goto(`${base}/__test/index.html`);
  await page.waitForSelector('body[data-idle="true"]', { state: 'attached', timeout: 60000 })
    .catch((e) => { throw new Error(`${e.message.split('\n')[0]}; errors: ${errors.slice(0, 3).join(' | ')}; failed: ${failedRequests.slice(0, 3).join(' | ')}`); });
  check('MapLibre loads the style and its tiles, then is idle', true, `${vectorTiles} vector tiles, ${glyphs} glyph ranges`);
  check('no console error', errors.length === 0, errors.slice(0, 3).join(' | '));
  check('no failed request', failedRequests.length === 0, failedRequests.slice(0, 3).join(' | '));
  check('glyphs came from coopmap', glyphs > 0, `${glyphs}`);
  const labelled = await page.evaluate((ids) => [...new Set(
    window.map.queryRenderedFeatures({ layers: ids }).map((f) => f.properties.name))], labelLayers);
  check(`the ${towns.features.length} towns are labelled`, labelled.length === towns.features.length,
    `${labelled.length} labels: ${labelled.slice(0, 5).join(', ')}, ...`);

  // MapLibre's picture against coopmap's raster map of the same view.
  const compare = (c) => page.evaluate(async ({ raster, W, H, MAXD }) => {
    const img = new Image();
    img.crossOrigin = 'anonymous';
    img.src = raster;
    await img.decode();
    const draw = (source) => {
      const c = document.createElement('canvas');
      c.width = W; c.height = H;
      const g = c.getContext('2d');
      g.drawImage(source, 0, 0, W, H);
      return g.getImageData(0, 0, W, H).data;
    };
    const a = draw(window.map.getCanvas()), b = draw(img);
    let same = 0, blocks = 0;
    for (let by = 0; by < H; by += 16) for (let bx = 0; bx < W; bx += 16) {
      const m = [0, 0, 0, 0, 0, 0];
      for (let y = by; y < by + 16; y++) for (let x = bx; x < bx + 16; x++) {
        const i = 4 * (y * W + x);
        for (let k = 0; k < 3; k++) { m[k] += a[i + k]; m[3 + k] += b[i + k]; }
      }
      const d = Math.hypot(m[0] - m[3], m[1] - m[4], m[2] - m[5]) / 256;
      blocks++;
      if (d <= MAXD) same++;
    }
    return { same, blocks };
  }, { raster: `${base}/map.png?center=${c.join(',')}&zoom=${zoom}&width=${W}&height=${H}`, W, H, MAXD: MAX_DIFF });
  const result = await compare(center);
  const share = result.same / result.blocks;
  // The measure tells maps apart: the raster map shifted by 0.25 degrees fails it.
  const shifted = await compare([center[0] + 0.25, center[1]]);
  check('the comparison fails for a raster map shifted by 0.25 degrees', shifted.same / shifted.blocks < MIN_SAME,
    `${(100 * shifted.same / shifted.blocks).toFixed(1)}%`);
  check(`MapLibre's map matches the raster map of the same view (>= ${MIN_SAME * 100}% of 16 px blocks within ${MAX_DIFF})`,
    share >= MIN_SAME, `${(share * 100).toFixed(1)}% of ${result.blocks} blocks`);
  if (shotDir) {
    fs.mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: path.join(shotDir, 'maplibre-default.png') });
  }

  // The viewer's vector mode: the same overlays and popups over MapLibre.
  const v = await context.newPage();
  const vErrors = [], vFailed = [];
  v.on('console', (m) => { if (m.type() === 'error') vErrors.push(m.text()); });
  v.on('pageerror', (e) => vErrors.push(String(e)));
  v.on('response', (r) => { if (r.status() >= 400) vFailed.push(`${r.url()} ${r.status()}`); });
  await v.goto(`${base}/viewer#map=9/46.9/16.15&style=default&vec=1&model=mst`);
  await v.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 60000 });
  check('viewer in vector mode: ready, MapLibre drawing the base map',
    (await v.evaluate(() => window.coopmap.vectorFeatures())) > 0 && (await v.$('.leaflet-gl-layer')) !== null);
  check('viewer in vector mode: the network overlay is on top', (await v.evaluate(() => window.coopmap.edgeCount())) === 23);
  await v.evaluate(() => window.coopmap.clickTown('Ptuj'));
  await v.waitForSelector('body[data-popup-ready="true"]', { state: 'attached', timeout: 20000 });
  const popup = await v.evaluate(() => document.querySelector('.leaflet-popup-content').textContent);
  check('viewer in vector mode: a town popup with its distances', /Ptuj/.test(popup) && /km/.test(popup),
    popup.slice(0, 60));
  check('viewer in vector mode: no console error, no failed request', vErrors.length + vFailed.length === 0,
    [...vErrors, ...vFailed].slice(0, 3).join(' | '));
  check('viewer in vector mode: the permalink keeps it', (await v.evaluate(() => location.hash)).includes('vec=1'));
  if (shotDir) await v.screenshot({ path: path.join(shotDir, 'viewer-vector.png') });
} catch (e) {
  check('the MapLibre run completes', false, String(e).split('\n')[0]);
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
