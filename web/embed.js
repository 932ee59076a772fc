// The embeddable map: ?style=light&town=Ptuj&zoom=10 (or &bbox=w,s,e,n),
// optionally &network=mst, &lang=sl|de|hu|en and &labels=bilingual (the
// labels' language); zoom buttons and attribution only.
"use strict";
(async function () {
  const C = window.coopmapCommon;
  const q = new URLSearchParams(location.search);
  const style = q.get("style") || "light";
  const map = L.map("map", { zoomControl: true, attributionControl: true });
  const bbox = (q.get("bbox") || "").split(",").map(Number);
  let tj = null;
  const lang = new URLSearchParams();
  for (const k of ["lang", "labels"]) if (q.get(k)) lang.set(k, q.get(k));
  const langQuery = lang.toString() ? "?" + lang.toString() : "";
  try { tj = await C.getJSON("/tiles/" + encodeURIComponent(style) + ".json" + langQuery); } catch (e) { tj = null; }
  if (bbox.length === 4 && bbox.every(isFinite)) {
    map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
  } else {
    let center = tj ? [tj.center[1], tj.center[0]] : [46.9, 16.15];
    const town = q.get("town");
    if (town) {
      const d = await C.getJSON("/distances?from=" + encodeURIComponent(town) + "&to=" + encodeURIComponent(town))
        .catch(() => null);
      if (d) {
        const fc = await C.getJSON("/collections/towns/items/" + encodeURIComponent(d.from[0].id));
        center = [fc.geometry.coordinates[1], fc.geometry.coordinates[0]];
        L.circleMarker(center, { radius: 7, color: "#1f1f1f", weight: 2, fillColor: "#fff", fillOpacity: 1 })
          .bindTooltip(fc.properties.name, { permanent: false }).addTo(map);
      }
    }
    map.setView(center, +q.get("zoom") || 10);
  }
  const tiles = C.tileLayer(style, tj, langQuery);
  tiles.once("load", () => { document.body.dataset.ready = "true"; });
  tiles.addTo(map);
  const model = q.get("network");
  if (model) {
    const fc = await C.getJSON("/network?model=" + encodeURIComponent(model));
    L.geoJSON({ type: "FeatureCollection", features: fc.features.filter((f) => f.properties.kind === "tie") }, {
      style: (f) => ({ color: f.properties.cross_border ? "#D55E00" : "#0072B2", weight: 2, opacity: 0.9 }),
    }).addTo(map);
  }
})();
