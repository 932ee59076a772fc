// The coopmap viewer: coopmap's tiles (raster PNG, or vector tiles drawn
// in the browser by MapLibre GL JS), the towns, regions and a cooperation
// network picked by model, town popups with metrics and distances, a
// measuring tool, a legend and a permalink in the URL hash.
"use strict";
(function () {
  const C = window.coopmapCommon;
  const MODELS = ["complete", "knn", "within", "mst", "delaunay", "gabriel", "rng", "edges"];

  // --- state and permalink: #map=zoom/lat/lon&style=..&vec=1&model=..&k=..&km=..&cb=1&show=..
  // The light basemap by default: the default style draws the MST itself,
  // which would show under whatever model is picked here.
  const state = { zoom: 9, lat: 46.9, lon: 16.15, style: "light", vec: false, model: "mst", k: 3,
                  km: 25, cb: false, show: ["towns", "network"] };
  (function readHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    const m = (h.get("map") || "").split("/").map(Number);
    if (m.length === 3 && m.every(isFinite)) [state.zoom, state.lat, state.lon] = m;
    if (h.get("style")) state.style = h.get("style");
    state.vec = h.get("vec") === "1";
    if (MODELS.includes(h.get("model"))) state.model = h.get("model");
    if (+h.get("k") > 0) state.k = +h.get("k");
    if (+h.get("km") > 0) state.km = +h.get("km");
    state.cb = h.get("cb") === "1";
    if (h.has("show")) state.show = h.get("show").split(",").filter(Boolean);
  })();
  // What to show at start; state.show then follows the layer control.
  const initialShow = state.show.slice();
  function writeHash() {
    const c = map.getCenter();
    const h = new URLSearchParams({
      map: [map.getZoom(), c.lat.toFixed(4), c.lng.toFixed(4)].join("/"), style: state.style,
      vec: state.vec ? "1" : "0",
      model: state.model, k: state.k, km: state.km, cb: state.cb ? "1" : "0",
      show: state.show.join(","),
    });
    history.replaceState(null, "", "#" + h.toString().replace(/%2F/g, "/").replace(/%2C/g, ","));
  }

  const map = L.map("map", { keyboard: true }).setView([state.lat, state.lon], state.zoom);
  // Towns above the ties, so a click on a town never lands on a line.
  map.createPane("towns").style.zIndex = 450;
  const towns = {};         // name -> marker
  const townById = {};      // id -> feature
  let townMetrics = {};     // id -> metrics in the current network
  let networkLayer = null;
  let networkSeq = 0;
  const ready = { towns: false, network: false, tiles: false };
  function markReady() {
    if (ready.towns && ready.network && ready.tiles) document.body.dataset.ready = "true";
  }

  // --- base layers: one per style from /tiles, as PNG tiles and, when
  // MapLibre GL JS is there, as vector tiles drawn in the browser from the
  // same style (/styles/{id}.json); the overlays and popups stay the same.
  const bases = {};
  const overlays = {};
  const layers = L.control.layers(bases, overlays, { collapsed: true }).addTo(map);
  function vectorLayer(s) {
    const layer = L.maplibreGL({ style: "/styles/" + encodeURIComponent(s.id) + ".json",
                                 attribution: "coopmap vector tiles" });
    layer.once("add", () => layer.getMaplibreMap().once("idle", () => layer.fire("load")));
    return layer;
  }
  C.getJSON("/tiles").then(async (list) => {
    for (const s of list.styles) {
      const tj = await C.getJSON("/tiles/" + encodeURIComponent(s.id) + ".json");
      bases[s.title] = C.tileLayer(s.id, tj);
      bases[s.title].styleId = s.id;
      layers.addBaseLayer(bases[s.title], s.title);
    }
    for (const s of window.maplibregl && L.maplibreGL ? list.styles : []) {
      const title = s.title + " (vector)";
      bases[title] = vectorLayer(s);
      bases[title].styleId = s.id;
      bases[title].vector = true;
      layers.addBaseLayer(bases[title], title);
    }
    const all = Object.values(bases);
    const first = all.find((b) => b.styleId === state.style && !!b.vector === state.vec) || all[0];
    first.once("load", () => { ready.tiles = true; markReady(); });
    first.addTo(map);
  });
  map.on("baselayerchange", (e) => {
    state.style = e.layer.styleId;
    state.vec = !!e.layer.vector;
    legend.update();
    writeHash();
  });

  // --- towns
  const townsLayer = L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, {
      radius: 3.5 + Math.min(4, Math.sqrt((f.properties.population || 0) / 1500)),
      className: "town-marker", color: "#1f1f1f", weight: 2, pane: "towns",
      fillColor: f.properties.project_partner ? "#1f1f1f" : "#ffffff", fillOpacity: 1,
      keyboard: true, title: f.properties.name,
    }),
    onEachFeature: (f, layer) => {
      towns[f.properties.name] = layer;
      townById[String(f.id)] = f;
      layer.bindTooltip(f.properties.name);
      layer.bindPopup(() => popupContent(f), { maxWidth: 320 });
      layer.on("popupopen", () => fillDistances(f, layer));
      layer.on("click", (e) => { if (measuring) { L.DomEvent.stop(e); measureClick(e.latlng); } });
    },
  });
  overlays["Towns"] = townsLayer;
  layers.addOverlay(townsLayer, "Towns");
  C.getJSON("/collections/towns/items?limit=1000").then((fc) => {
    townsLayer.addData(fc);
    if (initialShow.includes("towns")) townsLayer.addTo(map);
    ready.towns = true;
    markReady();
  });

  // --- regions (NUTS 2 and 3), off by default: the tiles show them already
  const regionsLayer = L.geoJSON(null, {
    style: (f) => ({ color: "#5e5a54", weight: f.properties.level === 2 ? 2 : 1, fill: false }),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name + " (" + f.properties.code + ")"),
  });
  layers.addOverlay(regionsLayer, "Regions (NUTS 2/3)");
  let regionsLoaded = false;
  map.on("overlayadd", (e) => {
    if (e.layer === regionsLayer && !regionsLoaded) {
      regionsLoaded = true;
      C.getJSON("/collections/regions/items?limit=1000&properties=code,name,level")
        .then((fc) => regionsLayer.addData(fc));
    }
    syncShown();
  });
  map.on("overlayremove", syncShown);
  function syncShown() {
    state.show = [["towns", townsLayer], ["regions", regionsLayer], ["network", networkGroup]]
      .filter(([, l]) => map.hasLayer(l)).map(([n]) => n);
    writeHash();
  }
  if (initialShow.includes("regions")) regionsLayer.addTo(map);

  // --- network
  const networkGroup = L.layerGroup();
  layers.addOverlay(networkGroup, "Network");
  if (initialShow.includes("network")) networkGroup.addTo(map);

  function networkQuery() {
    const q = new URLSearchParams({ model: state.model });
    if (state.model === "knn") q.set("k", state.k);
    if (state.model === "within") q.set("km", state.km);
    if (state.cb) q.set("cross_border", "true");
    return q.toString();
  }
  async function loadNetwork() {
    const seq = ++networkSeq;
    document.body.dataset.networkReady = "false";
    let fc;
    try {
      fc = await C.getJSON("/network?" + networkQuery());
    } catch (err) {
      countEl.textContent = err.message;
      return;
    }
    if (seq !== networkSeq) return; // a newer choice is on its way
    townMetrics = {};
    fc.features.filter((f) => f.properties.kind === "town")
      .forEach((f) => { townMetrics[String(f.id)] = f.properties; });
    if (networkLayer) networkGroup.removeLayer(networkLayer);
    networkLayer = L.geoJSON({ type: "FeatureCollection",
                               features: fc.features.filter((f) => f.properties.kind === "tie") }, {
      style: (f) => f.properties.cross_border
        ? { className: "network-edge", color: "#D55E00", weight: 3, opacity: 0.9 }
        : { className: "network-edge", color: "#0072B2", weight: 2, opacity: 0.9, dashArray: "6 4" },
      onEachFeature: (f, layer) => layer.bindTooltip(
        f.properties.from + " – " + f.properties.to + ": " + f.properties.distance_km.toFixed(1) + " km"),
    });
    networkGroup.addLayer(networkLayer);
    const s = fc.summary;
    countEl.textContent = s.edges + " ties, " + s.total_length_km.toFixed(0) + " km in all, " +
      s.components + (s.components === 1 ? " component" : " components");
    countEl.dataset.edges = s.edges;
    ready.network = true;
    document.body.dataset.networkReady = "true";
    markReady();
    writeHash();
  }

  // --- the network picker
  let countEl;
  const Picker = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      const div = L.DomUtil.create("div", "panel picker");
      div.innerHTML =
        '<h2>Cooperation network</h2>' +
        '<label>Model <select id="model" aria-label="Network model">' +
        MODELS.map((m) => '<option value="' + m + '">' + m + "</option>").join("") + "</select></label>" +
        '<label>k (knn) <input id="k" type="number" min="1" max="23" step="1"></label>' +
        '<label>km (within) <input id="km" type="number" min="1" max="500" step="1"></label>' +
        '<label><input id="cross-border" type="checkbox"> cross-border ties only</label>' +
        '<div class="count" id="edge-count" aria-live="polite"></div>' +
        '<button id="measure" type="button" aria-pressed="false">Measure distance</button>' +
        '<div class="count" id="measure-out" aria-live="polite"></div>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },
  });
  new Picker().addTo(map);
  countEl = document.getElementById("edge-count");
  const modelEl = document.getElementById("model"), kEl = document.getElementById("k");
  const kmEl = document.getElementById("km"), cbEl = document.getElementById("cross-border");
  modelEl.value = state.model;
  kEl.value = state.k;
  kmEl.value = state.km;
  cbEl.checked = state.cb;
  function pickerChanged() {
    state.model = modelEl.value;
    state.k = Math.max(1, parseInt(kEl.value, 10) || 3);
    state.km = Math.max(1, parseFloat(kmEl.value) || 25);
    state.cb = cbEl.checked;
    loadNetwork();
  }
  [modelEl, kEl, kmEl, cbEl].forEach((el) => el.addEventListener("change", pickerChanged));
  loadNetwork();

  // --- town popups: names, region, population, metrics, distances
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  }
  function popupContent(f) {
    const p = f.properties, m = townMetrics[String(f.id)] || {};
    const names = [...new Set([p.name_local, p.geonames_name].filter((n) => n && n !== p.name))];
    return '<div class="popup"><h3>' + esc(p.name) + "</h3>" +
      (names.length ? '<div class="names">' + names.map(esc).join(" · ") + "</div>" : "") +
      "<table>" +
      "<tr><td>Country</td><td>" + esc(p.country) + "</td></tr>" +
      "<tr><td>Region</td><td>" + esc(p.nuts3_name) + " (" + esc(p.nuts3) + "), " + esc(p.nuts2_name) + "</td></tr>" +
      "<tr><td>Population</td><td>" + (p.population != null ? p.population.toLocaleString("en") : "–") + "</td></tr>" +
      (p.project_partner ? "<tr><td>Partner</td><td>" + esc(p.project_partner) + "</td></tr>" : "") +
      "<tr><td>Degree</td><td>" + (m.degree ?? "–") + " (" + esc(state.model) + ")</td></tr>" +
      "<tr><td>Betweenness</td><td>" + (m.betweenness != null ? m.betweenness.toFixed(3) : "–") + "</td></tr>" +
      "<tr><td>Closeness</td><td>" + (m.closeness != null ? m.closeness.toFixed(4) : "–") + "</td></tr>" +
      '</table><div class="dists" id="dists-' + esc(f.id) + '">Distances…</div></div>';
  }
  async function fillDistances(f, layer) {
    const d = await C.getJSON("/distances?from=" + encodeURIComponent(f.id));
    const rows = d.pairs.filter((p) => p.to !== f.properties.name)
      .sort((a, b) => a.distance_km - b.distance_km);
    const el = layer.getPopup().getElement().querySelector(".dists");
    el.innerHTML = "<table><caption>Geodesic distances</caption>" + rows.map((p) =>
      '<tr data-town="' + esc(p.to) + '" data-metres="' + Math.round(p.distance_km * 1000) + '"><td>' +
      esc(p.to) + '</td><td class="km">' + p.distance_km.toFixed(1) + " km</td></tr>").join("") + "</table>";
    document.body.dataset.popupReady = "true";
  }

  // --- measuring: two clicks (on towns or anywhere) -> geodesic from the service
  let measuring = false, measurePts = [], measureLine = null;
  const measureBtn = document.getElementById("measure"), measureOut = document.getElementById("measure-out");
  measureBtn.addEventListener("click", () => {
    measuring = !measuring;
    measurePts = [];
    measureBtn.setAttribute("aria-pressed", String(measuring));
    map.getContainer().classList.toggle("measuring", measuring);
    measureOut.textContent = measuring ? "Click two places or towns." : "";
    if (measureLine) { map.removeLayer(measureLine); measureLine = null; }
  });
  async function measureClick(latlng) {
    measurePts.push(latlng);
    if (measurePts.length < 2) { measureOut.textContent = "Now the second place."; return; }
    const [a, b] = measurePts;
    const g = await C.getJSON("/geodesic?from=" + a.lng + "," + a.lat + "&to=" + b.lng + "," + b.lat);
    if (measureLine) map.removeLayer(measureLine);
    measureLine = L.polyline([a, b], { color: "#222", weight: 2, dashArray: "2 6" }).addTo(map);
    measureOut.textContent = g.distance_km.toFixed(2) + " km (geodesic, WGS84)";
    measurePts = [];
  }
  map.on("click", (e) => { if (measuring) measureClick(e.latlng); });

  // --- legend matching the styles
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    this.div = L.DomUtil.create("div", "panel legend");
    this.update();
    return this.div;
  };
  legend.update = function () {
    if (!this.div) return;
    this.div.innerHTML = "<h2>Legend</h2>" +
      '<div><span class="swatch cross"></span>cross-border tie</div>' +
      '<div><span class="swatch domestic"></span>tie within a country</div>' +
      '<div><span class="dot member"></span>member town (size: population)</div>' +
      '<div><span class="dot partner"></span>project partner town</div>' +
      (state.style === "default" ? "<div><small>the default map also draws the MST</small></div>" : "");
  };
  legend.addTo(map);
  map.on("moveend", writeHash);

  // For people and tests: the map, the towns, and helpers.
  window.coopmap = {
    map: map,
    towns: towns,
    clickTown: function (name) { towns[name].openPopup(); },
    edgeCount: function () { return networkLayer ? networkLayer.getLayers().length : 0; },
    // Features MapLibre has drawn in vector mode (0 in raster mode).
    vectorFeatures: function () {
      const b = Object.values(bases).find((l) => l.vector && map.hasLayer(l));
      return b ? b.getMaplibreMap().queryRenderedFeatures().length : 0;
    },
  };
})();
