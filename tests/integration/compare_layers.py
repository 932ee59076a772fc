#!/usr/bin/python3
"""Compares a layer fetched from coopmap (e.g. with ogr2ogr from OAPIF) with
its source file: same feature count and order, every attribute of the source
equal, every vertex within a tolerance (after putting rings in RFC 7946
orientation on both sides). Exit 0 when equal; prints the first problems.

usage: compare_layers.py SOURCE SOURCE_LAYER COPY COPY_LAYER [TOLERANCE]
"""
import json
import sys

from osgeo import ogr

ogr.UseExceptions()


def ring_area(ring):
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1])) / 2


def normalise(geom):
    """GeoJSON-like coordinates as nested lists, rings counter-clockwise
    outside and clockwise for holes, single parts made multi."""
    g = json.loads(geom.ExportToJson())
    kind, coords = g["type"], g["coordinates"]
    if kind == "Polygon":
        kind, coords = "MultiPolygon", [coords]
    if kind == "LineString":
        kind, coords = "MultiLineString", [coords]
    if kind == "MultiPolygon":
        for poly in coords:
            for i, ring in enumerate(poly):
                if (ring_area(ring) > 0) != (i == 0):
                    ring.reverse()
    return kind, coords


def flatten(coords):
    if coords and isinstance(coords[0], (int, float)):
        yield coords
        return
    for c in coords:
        yield from flatten(c)


def shape(coords):
    if coords and isinstance(coords[0], (int, float)):
        return None
    return [shape(c) for c in coords]


def main():
    src_path, src_layer, copy_path, copy_layer = sys.argv[1:5]
    tol = float(sys.argv[5]) if len(sys.argv) > 5 else 1e-7
    # Keep the datasets referenced: their layers die with them.
    src_ds, copy_ds = ogr.Open(src_path), ogr.Open(copy_path)
    src, copy = src_ds.GetLayerByName(src_layer), copy_ds.GetLayerByName(copy_layer)
    problems = []
    src_feats, copy_feats = list(src), list(copy)
    if len(src_feats) != len(copy_feats):
        problems.append(f"{len(src_feats)} source features, {len(copy_feats)} in the copy")
    fields = [src.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(src.GetLayerDefn().GetFieldCount())]
    worst = 0.0
    for n, (a, b) in enumerate(zip(src_feats, copy_feats)):
        for name in fields:
            if b.GetFieldIndex(name) < 0:
                problems.append(f"feature {n}: copy has no field {name}")
                continue
            va = a.GetField(name) if a.IsFieldSetAndNotNull(name) else None
            vb = b.GetField(name) if b.IsFieldSetAndNotNull(name) else None
            same = (va == vb) or (isinstance(va, (int, float)) and isinstance(vb, (int, float)) and float(va) == float(vb))
            if not same:
                problems.append(f"feature {n}: {name} = {va!r} in the source, {vb!r} in the copy")
        ka, ca = normalise(a.GetGeometryRef())
        kb, cb = normalise(b.GetGeometryRef())
        if ka != kb or shape(ca) != shape(cb):
            problems.append(f"feature {n}: geometry {ka} vs {kb} or different vertex counts")
            continue
        for pa, pb in zip(flatten(ca), flatten(cb)):
            d = max(abs(pa[0] - pb[0]), abs(pa[1] - pb[1]))
            worst = max(worst, d)
            if d > tol:
                problems.append(f"feature {n}: vertex {pa[:2]} vs {pb[:2]} (off by {d:g})")
                break
    for p in problems[:10]:
        print("  " + p)
    verdict = "FAIL" if problems else "OK"
    print(f"{verdict}: {copy_layer}: {len(copy_feats)} features, {len(fields)} attributes, "
          f"max vertex difference {worst:g} (tolerance {tol:g})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
