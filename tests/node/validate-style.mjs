// Validates a MapLibre style with the style specification's own validator
// (@maplibre/maplibre-gl-style-spec, pinned) and checks what the browser
// needs of it: a vector source at a TileJSON URL, glyphs, every layer but
// the background on that source with a source-layer the TileJSON lists.
//   node validate-style.mjs STYLE_URL
// Prints the errors (none: one summary line); exits 1 on any.
import { validateStyleMin } from "@maplibre/maplibre-gl-style-spec";

const url = process.argv[2];
const style = await (await fetch(url)).json();
const errors = validateStyleMin(style).map((e) => e.message);
const sources = Object.entries(style.sources || {});
if (sources.length !== 1 || sources[0][1].type !== "vector") errors.push("want one vector source");
const [sourceId, source] = sources[0] || [];
const tilejson = source && source.url ? await (await fetch(source.url)).json() : { vector_layers: [] };
const known = new Set(tilejson.vector_layers.map((l) => l.id));
if (!/^https?:\/\/.*\{fontstack\}.*\{range\}/.test(style.glyphs || "")) errors.push("no absolute glyphs URL");
for (const layer of style.layers) {
  if (layer.type === "background") continue;
  if (layer.source !== sourceId) errors.push(`${layer.id}: source ${layer.source}`);
  if (!known.has(layer["source-layer"])) errors.push(`${layer.id}: source-layer ${layer["source-layer"]} not in the TileJSON`);
}
if (errors.length) {
  for (const e of errors) console.error(`validate-style: ${e}`);
  process.exit(1);
}
console.log(`${url}: valid MapLibre style v${style.version}, ${style.layers.length} layers, 0 errors`);
