// Decodes coopmap's vector tiles with the reference decoder
// (@mapbox/vector-tile + pbf) and checks them against the source data
// (the OGC API GeoJSON of each collection):
//   - every tile of the box at the zooms decodes; its layers are coopmap's;
//   - every feature the server's own bbox query puts in the tile is there
//     (by its "id" attribute), with the attributes of its GeoJSON;
//   - every decoded vertex, back in lon/lat through the decoder's
//     toGeoJSON, lies within half a tile pixel (1/512 of the tile) of the
//     source geometry (vertices on the clipping edge excepted), and every
//     source vertex inside the tile lies within half a pixel of the decoded
//     lines and rings (simplification drops nothing that shows; paths
//     smaller than a pixel, which may vanish, excepted).
//   node check-mvt.mjs BASE W,S,E,N Z0-Z1 [OUT_DIR]
// OUT_DIR: the tiles with polygons are written there as z-x-y.mvt for
// ogrinfo. Prints one summary line; exits 1 on the first failure.
import { writeFile } from "node:fs/promises";
import { VectorTile } from "@mapbox/vector-tile";
import Pbf from "pbf";

const [base, boxArg, zoomArg, outDir] = process.argv.slice(2);
const [west, south, east, north] = boxArg.split(",").map(Number);
const [z0, z1] = zoomArg.split("-").map(Number);

function fail(message) {
  console.error(`check-mvt: ${message}`);
  process.exit(1);
}

async function getJSON(url) {
  const res = await fetch(url);
  if (res.status !== 200) fail(`${url}: ${res.status}`);
  return res.json();
}

// Tile pixel coordinates (256 per tile) at zoom z, Web Mercator.
function toPixel([lon, lat], z) {
  const n = 256 * 2 ** z;
  const s = Math.sin((lat * Math.PI) / 180);
  return [((lon + 180) / 360) * n, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n];
}
const tileX = (lon, z) => Math.floor(((lon + 180) / 360) * 2 ** z);
const tileY = (lat, z) => Math.floor(toPixel([0, lat], z)[1] / 256);
function tileBox(z, x, y) {
  const lon = (v) => (v / 2 ** z) * 360 - 180;
  const lat = (v) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * v) / 2 ** z))) * 180) / Math.PI;
  return [lon(x), lat(y + 1), lon(x + 1), lat(y)];
}

function segDist([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

// The source geometry as lists of lon/lat paths (points: one-point paths).
function paths(geometry) {
  const c = geometry.coordinates;
  switch (geometry.type) {
    case "Point": return [[c]];
    case "MultiPoint": return c.map((p) => [p]);
    case "LineString": return [c];
    case "MultiLineString":
    case "Polygon": return c;
    case "MultiPolygon": return c.flat();
    default: return [];
  }
}

// Distance in pixels from a point to the nearest part of the source paths.
function distance(pt, srcPaths) {
  let best = Infinity;
  for (const path of srcPaths) {
    if (path.length === 1) best = Math.min(best, Math.hypot(pt[0] - path[0][0], pt[1] - path[0][1]));
    for (let i = 1; i < path.length; i++) best = Math.min(best, segDist(pt, path[i - 1], path[i]));
  }
  return best;
}

const tilejson = await getJSON(`${base}/tiles/vector.json`);
const layerIds = tilejson.vector_layers.map((l) => l.id);
const source = {};
for (const id of layerIds) {
  const fc = await getJSON(`${base}/collections/${id}/items?limit=10000`);
  source[id] = new Map(fc.features.map((f) => [String(f.id), f]));
}

let tiles = 0, empty = 0, features = 0, vertices = 0, worst = 0, covered = 0, worstBack = 0;
const pixelPaths = new Map(); // zoom/layer/feature -> its paths in that zoom's pixels
const srcPixels = (z, layer, f) => {
  const key = `${z}/${layer}/${f.id}`;
  if (!pixelPaths.has(key)) pixelPaths.set(key, paths(f.geometry).map((p) => p.map((q) => toPixel(q, z))));
  return pixelPaths.get(key);
};

// Every vertex of the source paths inside tile (x, y) lies within half a
// pixel of the decoded paths.
function checkCovered(where, srcPaths, decoded, x, y) {
  for (const path of srcPaths) {
    const xs = path.map((p) => p[0]), ys = path.map((p) => p[1]);
    if (Math.hypot(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) < 1) continue;
    for (const q of path) {
      const lx = q[0] - 256 * x, ly = q[1] - 256 * y;
      if (lx < 0 || ly < 0 || lx > 256 || ly > 256) continue;
      const d = distance(q, decoded);
      covered++;
      worstBack = Math.max(worstBack, d);
      if (d > 0.5) fail(`${where}: a source vertex ${d.toFixed(3)} px from the tile's geometry`);
    }
  }
}

async function checkTile(z, x, y) {
  tiles++;
  const res = await fetch(`${base}/tiles/vector/${z}/${x}/${y}.mvt`);
  if (res.status === 204) { empty++; return; }
  if (res.status !== 200) fail(`${z}/${x}/${y}: status ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const vt = new VectorTile(new Pbf(bytes));
  let hasPolygons = false;
  for (const name of Object.keys(vt.layers))
    if (!layerIds.includes(name)) fail(`${z}/${x}/${y}: unknown layer ${name}`);
  const box = tileBox(z, x, y);
  for (const id of layerIds) {
    const layer = vt.layers[id];
    const seen = new Map();
    for (let i = 0; layer && i < layer.length; i++) {
      const f = layer.feature(i);
      if (f.id === undefined) fail(`${z}/${x}/${y} ${id}: a feature without id`);
      if (f.extent !== 4096) fail(`${z}/${x}/${y} ${id}: extent ${f.extent}`);
      seen.set(String(f.properties.id), f);
    }
    // Every feature of the layer in the tile, as the server's bbox query finds them.
    const inTile = await getJSON(`${base}/collections/${id}/items?limit=10000&bbox=${box.join(",")}`);
    for (const src of inTile.features) {
      const got = seen.get(String(src.id));
      if (!got) fail(`${z}/${x}/${y} ${id}: feature ${src.id} is missing`);
      for (const [k, v] of Object.entries(src.properties))
        if (v !== null && typeof v !== "object" && got.properties[k] !== v)
          fail(`${z}/${x}/${y} ${id}/${src.id}: ${k} = ${got.properties[k]}, want ${v}`);
    }
    for (const [fid, f] of seen) {
      const src = source[id].get(fid);
      if (!src) fail(`${z}/${x}/${y} ${id}: feature ${fid} is not in the collection`);
      features++;
      if (f.type === 3) hasPolygons = true;
      const sp = srcPixels(z, id, src);
      // Back to lon/lat with the decoder's own transformation.
      const decoded = paths(f.toGeoJSON(x, y, z).geometry).map((p) => p.map((q) => toPixel(q, z)));
      if (f.type !== 1) checkCovered(`${z}/${x}/${y} ${id}/${fid}`, sp, decoded, x, y);
      for (const [px, py] of decoded.flat()) {
        const lx = px - 256 * x, ly = py - 256 * y;
        // On the clipping edge (the 4 px buffer) a vertex is not a source vertex.
        if (lx <= -3.9 || ly <= -3.9 || lx >= 259.9 || ly >= 259.9) continue;
        const d = distance([px, py], sp);
        vertices++;
        worst = Math.max(worst, d);
        if (d > 0.5) fail(`${z}/${x}/${y} ${id}/${fid}: a vertex ${d.toFixed(3)} px from the source`);
      }
    }
  }
  if (outDir && hasPolygons) await writeFile(`${outDir}/${z}-${x}-${y}.mvt`, bytes);
}

const all = [];
for (let z = z0; z <= z1; z++)
  for (let x = tileX(west, z); x <= tileX(east, z); x++)
    for (let y = tileY(north, z); y <= tileY(south, z); y++) all.push([z, x, y]);
for (let i = 0; i < all.length; i += 4) // four at a time: the server has two cores
  await Promise.all(all.slice(i, i + 4).map(([z, x, y]) => checkTile(z, x, y)));
console.log(`${tiles} tiles (${empty} empty), ${features} features, ${vertices} vertices, ` +
  `worst ${worst.toFixed(3)} px from the source; ${covered} source vertices, ` +
  `worst ${worstBack.toFixed(3)} px from the tile`);
