// Decodes coopmap's glyph ranges with pbf (npm, pinned) and checks every
// character of the given text is there for each font stack, as a signed
// distance field of the size MapLibre expects ((width + 6) x (height + 6)
// bytes), dark outside and light inside.
//   node check-glyphs.mjs BASE "STACK1;STACK2" TEXT
import Pbf from "pbf";

const [base, stacks, text] = process.argv.slice(2);
function fail(m) { console.error(`check-glyphs: ${m}`); process.exit(1); }

function readGlyph(tag, g, pbf) {
  if (tag === 1) g.id = pbf.readVarint();
  else if (tag === 2) g.bitmap = pbf.readBytes();
  else if (tag === 3) g.width = pbf.readVarint();
  else if (tag === 4) g.height = pbf.readVarint();
  else if (tag === 5) g.left = pbf.readSVarint();
  else if (tag === 6) g.top = pbf.readSVarint();
  else if (tag === 7) g.advance = pbf.readVarint();
}
function readStack(tag, s, pbf) {
  if (tag === 1) s.name = pbf.readString();
  else if (tag === 2) s.range = pbf.readString();
  else if (tag === 3) s.glyphs.push(pbf.readMessage(readGlyph, {}));
}

let checked = 0;
for (const stack of stacks.split(";")) {
  const ranges = new Map();
  for (const ch of text) {
    const code = ch.codePointAt(0), start = code - (code % 256);
    if (!ranges.has(start)) {
      const res = await fetch(`${base}/fonts/${encodeURIComponent(stack)}/${start}-${start + 255}.pbf`);
      if (res.status !== 200) fail(`${stack} ${start}: status ${res.status}`);
      const pbf = new Pbf(new Uint8Array(await res.arrayBuffer()));
      const msg = pbf.readFields((tag, m, p) => { if (tag === 1) m.stacks.push(p.readMessage(readStack, { glyphs: [] })); }, { stacks: [] });
      if (msg.stacks.length !== 1 || msg.stacks[0].range !== `${start}-${start + 255}`) fail(`${stack} ${start}: bad stack`);
      ranges.set(start, new Map(msg.stacks[0].glyphs.map((g) => [g.id, g])));
    }
    const g = ranges.get(start).get(code);
    if (!g) fail(`${stack}: no glyph for '${ch}' (U+${code.toString(16)})`);
    if (ch === " ") continue;
    if (!(g.advance > 0 && g.width > 0 && g.height > 0)) fail(`${stack} '${ch}': empty metrics`);
    if (!g.bitmap || g.bitmap.length !== (g.width + 6) * (g.height + 6)) fail(`${stack} '${ch}': bitmap size`);
    const max = Math.max(...g.bitmap), corner = g.bitmap[0];
    if (!(max > 191 && corner < 100)) fail(`${stack} '${ch}': not a distance field (max ${max}, corner ${corner})`);
    checked++;
  }
}
console.log(`${checked} glyphs of ${[...text].length} characters x ${stacks.split(";").length} stacks decoded`);
