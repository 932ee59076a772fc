// Follows coopmap's OGC API - Tiles links the way a client does: from a
// collection to its vector tilesets, the tileset, its tiling scheme and its
// tile template; from the landing page to the map tileset. Checks the tile
// matrix set, that a collection's tile holds that layer only and the same
// features as the dataset's tile, and that a map tile is the PNG tile.
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

const coll = await json(`${base}/collections/towns`);
const list = await json(rel(coll, "tilesets-vector").href);
check("collection tilesets: one vector tileset", list.tilesets.length === 1 && list.tilesets[0].dataType === "vector");
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

const landing = await json(`${base}/`);
const maps = await json(rel(landing, "tilesets-map").href);
const mts = await json(rel(maps.tilesets[0], "self").href);
const png = mts.links.find((l) => l.rel === "item" && l.type === "image/png");
const a = await bytes(fill(png.href, 10, 361, 557)), b = await bytes(`${base}/tiles/default/10/557/361.png`);
check("map tile: the PNG tile", a.length === b.length && a.every((v, i) => v === b[i]));
console.log(`${passed} OGC API - Tiles checks`);
