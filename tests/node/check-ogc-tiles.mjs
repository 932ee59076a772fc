// Follows coopmap's OGC API - Tiles links the way a client does: from a
// collection to its vector tilesets, the tileset, its tiling scheme and its
// tile template; from the landing page to the map tileset. Checks the tile
// matrix sets, that a collection's tile holds that layer only and the same
// features as the dataset's tile, that every town lies in its WorldCRS84Quad
// tile within half a pixel of its GeoJSON coordinates (plate carree, worked
// out here from the tile matrix set document), and that a map tile is the
// PNG tile.
//   node check-ogc-tiles.mjs BASE
import { VectorTile } from "@mapbox/vector-tile";
import Pbf from "pbf";

const base = process.argv[2];
let passed = 0;
function check(what, cond) {
  if (!cond) { console.error(`check-ogc-tiles: ${what}`); process.exit(1); }
  passed++;
}
const json = async (url) => { const r = await fetch(url); check(`${url}: 200`, r.status === 200); return r.json(); };
const bytes = async (url) => { const r = await fetch(url); check(`${url}: 200`, r.status === 200); return new Uint8Array(await r.arrayBuffer()); };
const rel = (doc, name) => (doc.links || []).find((l) => l.rel === name || l.rel === `http://www.opengis.net/def/rel/ogc/1.0/${name}`);
const fill = (t, z, row, col) => t.replace("{tileMatrix}", z).replace("{tileRow}", row).replace("{tileCol}", col);

const conf = await json(`${base}/conformance`);
check("conformance: tiles core", conf.conformsTo.includes("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core"));
const tms = await json(`${base}/tileMatrixSets/WebMercatorQuad`);
check("tms: WebMercatorQuad in EPSG:3857", tms.id === "WebMercatorQuad" && tms.crs.endsWith("/EPSG/0/3857"));
check("tms: the TMS 1.0 names too", tms.identifier === "WebMercatorQuad" && tms.supportedCRS &&
  tms.tileMatrices.every((m) => m.identifier === m.id && m.topLeftCorner[0] === m.pointOfOrigin[0]));
check("tms: 19 matrices, cell size halving", tms.tileMatrices.length === 19 &&
  tms.tileMatrices.every((m, i) => Math.abs(m.cellSize - 156543.03392804097 / 2 ** i) < 1e-6 && m.matrixWidth === 2 ** i));

const sets = await json(`${base}/tileMatrixSets`);
check("tileMatrixSets: WebMercatorQuad and WorldCRS84Quad", sets.tileMatrixSets.map((t) => t.id).join() === "WebMercatorQuad,WorldCRS84Quad");
const q84 = await json(rel(sets.tileMatrixSets[1], "self").href);
check("tms: WorldCRS84Quad in CRS84, 2 x 1 tiles at 0, cell size halving", q84.crs.endsWith("/OGC/1.3/CRS84") &&
  q84.tileMatrices.every((m, i) => Math.abs(m.cellSize - 0.703125 / 2 ** i) < 1e-12 && m.matrixWidth === 2 ** (i + 1) &&
    m.matrixHeight === 2 ** i && m.pointOfOrigin[0] === -180 && m.pointOfOrigin[1] === 90) &&
  Math.abs(q84.tileMatrices[0].scaleDenominator - 279541132.0143589) < 1e-3); // OGC TMS 2.0, Annex D.2

const coll = await json(`${base}/collections/towns`);
const list = await json(rel(coll, "tilesets-vector").href);
check("collection tilesets: two vector tilesets", list.tilesets.length === 2 && list.tilesets.every((t) => t.dataType === "vector"));
const ts = await json(rel(list.tilesets[0], "self").href);
check("tileset: WebMercatorQuad", ts.tileMatrixSetURI.endsWith("/WebMercatorQuad"));
check("tileset: tiling scheme link", rel(ts, "tiling-scheme").href.endsWith("/tileMatrixSets/WebMercatorQuad"));
const item = ts.links.find((l) => l.rel === "item" && l.type === "application/vnd.mapbox-vector-tile");
check("tileset: an MVT item template in {z}/{y}/{x} order", item && /\{tileMatrix\}\/\{tileRow\}\/\{tileCol\}$/.test(item.href));
const one = new VectorTile(new Pbf(await bytes(fill(item.href, 10, 361, 557))));
const all = new VectorTile(new Pbf(await bytes(`${base}/tiles/vector/10/557/361.mvt`)));
check("collection tile: the towns layer only", Object.keys(one.layers).join() === "towns");
const ids = (l) => Array.from({ length: l.length }, (_, i) => l.feature(i).id).sort().join();
check("collection tile: the same towns as the dataset tile", ids(one.layers.towns) === ids(all.layers.towns) && one.layers.towns.length > 0);

// WorldCRS84Quad: each town in the tile its coordinates fall in, where they say.
const t84 = await json(rel(list.tilesets[1], "self").href);
check("tileset: WorldCRS84Quad", t84.tileMatrixSetURI.endsWith("/WorldCRS84Quad") && t84.crs.endsWith("/CRS84"));
const item84 = t84.links.find((l) => l.rel === "item" && l.type === "application/vnd.mapbox-vector-tile");
const towns = (await json(`${base}/collections/towns/items?limit=1000`)).features;
const z84 = 9, m84 = q84.tileMatrices[z84], span = m84.cellSize * m84.tileWidth;
let placed = 0, worst = 0;
for (const town of towns) {
  const [lon, lat] = town.geometry.coordinates;
  const col = Math.floor((lon - m84.pointOfOrigin[0]) / span), row = Math.floor((m84.pointOfOrigin[1] - lat) / span);
  const vt = new VectorTile(new Pbf(await bytes(fill(item84.href, z84, row, col))));
  const layer = vt.layers.towns;
  for (let i = 0; layer && i < layer.length; i++) {
    const f = layer.feature(i);
    if (String(f.properties.id) !== String(town.id)) continue;
    const [p] = f.loadGeometry()[0];
    const glon = m84.pointOfOrigin[0] + (col + p.x / f.extent) * span;
    const glat = m84.pointOfOrigin[1] - (row + p.y / f.extent) * span;
    worst = Math.max(worst, Math.hypot(glon - lon, glat - lat) / m84.cellSize);
    placed++;
  }
}
check(`WorldCRS84Quad: ${placed} of ${towns.length} towns in their z${z84} tile, worst ${worst.toFixed(3)} px off`,
  placed === towns.length && worst < 0.5);

const landing = await json(`${base}/`);
const maps = await json(rel(landing, "tilesets-map").href);
const mts = await json(rel(maps.tilesets[0], "self").href);
const png = mts.links.find((l) => l.rel === "item" && l.type === "image/png");
const a = await bytes(fill(png.href, 10, 361, 557)), b = await bytes(`${base}/tiles/default/10/557/361.png`);
check("map tile: the PNG tile", a.length === b.length && a.every((v, i) => v === b[i]));
console.log(`${passed} OGC API - Tiles checks (towns in WorldCRS84Quad z${z84}: worst ${worst.toFixed(3)} px)`);
