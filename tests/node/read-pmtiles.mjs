// Reads a PMTiles archive with the reference reader (npm "pmtiles") and
// checks it against the server: every tile of LIST (lines "z x y") must be
// in the archive with the very bytes the server renders at
// BASE/tiles/STYLE/z/x/y.png, and the header must say what coopmap wrote.
//   node read-pmtiles.mjs FILE LIST BASE STYLE
// Prints one line of counts; exits 1 on the first difference.
import { open, readFile } from "node:fs/promises";
import { PMTiles, TileType } from "pmtiles";

const [file, listFile, base, style] = process.argv.slice(2);

// A local file as a pmtiles Source (the library reads by byte ranges).
class FileSource {
  constructor(handle, key) {
    this.handle = handle;
    this.key = key;
  }
  getKey() {
    return this.key;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buf, 0, length, offset);
    const slice = buf.subarray(0, bytesRead);
    return { data: slice.buffer.slice(slice.byteOffset, slice.byteOffset + slice.length) };
  }
}

function fail(message) {
  console.error(`read-pmtiles: ${message}`);
  process.exit(1);
}

const handle = await open(file, "r");
const archive = new PMTiles(new FileSource(handle, file));
const header = await archive.getHeader();
const metadata = await archive.getMetadata();
const wanted = (await readFile(listFile, "utf8"))
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => l.split(" ").map(Number));

if (header.specVersion !== 3) fail(`spec version ${header.specVersion}`);
if (header.tileType !== TileType.Png) fail(`tile type ${header.tileType}`);
if (!header.clustered) fail("not clustered");
if (header.numAddressedTiles !== wanted.length)
  fail(`${header.numAddressedTiles} tiles addressed, ${wanted.length} expected`);
if (header.numTileContents >= header.numAddressedTiles)
  fail(`no tile stored once for several (${header.numTileContents} contents)`);
if (header.rootDirectoryOffset + header.rootDirectoryLength > 16384)
  fail("the root directory ends beyond 16 KiB");

let same = 0;
for (const [z, x, y] of wanted) {
  const tile = await archive.getZxy(z, x, y);
  if (!tile) fail(`tile ${z}/${x}/${y} is missing`);
  const res = await fetch(`${base}/tiles/${style}/${z}/${x}/${y}.png`);
  if (res.status !== 200) fail(`server: ${res.status} for ${z}/${x}/${y}`);
  const served = Buffer.from(await res.arrayBuffer());
  if (!served.equals(Buffer.from(tile.data))) fail(`tile ${z}/${x}/${y} differs from the server's`);
  same++;
}
// Just south of the area: no tile.
const z0 = wanted[0][0];
const south = Math.max(...wanted.filter(([z]) => z === z0).map(([, , y]) => y)) + 1;
if (south < 2 ** z0 && (await archive.getZxy(z0, wanted[0][1], south)))
  fail(`a tile outside the seeded area: ${z0}/${wanted[0][1]}/${south}`);
console.log(
  `pmtiles ${file}: ${same} tiles equal to the server's; ` +
    `${header.numTileEntries} entries, ${header.numTileContents} contents, ` +
    `zooms ${header.minZoom}-${header.maxZoom}, name "${metadata.name}"`,
);
await handle.close();
