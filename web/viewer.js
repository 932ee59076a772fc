// The coopmap viewer: coopmap's tiles (raster PNG, or vector tiles drawn
// in the browser by MapLibre GL JS), the towns, regions and a cooperation
// network picked by model, town popups with metrics and distances, a
// measuring tool, a legend, a town search over all the towns' names, and a
// permalink in the URL hash; in Slovenian, German, Hungarian or English
// (web/i18n.js), the map's labels too.
"use strict";
(function () {
  const C = window.coopmapCommon;
  const I = window.coopmapI18n, t = I.t, esc = C.esc;
  const MODELS = ["complete", "knn", "within", "mst", "delaunay", "gabriel", "rng", "edges"];

  // --- state and permalink: #map=zoom/lat/lon&style=..&vec=1&model=..&k=..&km=..&cb=1&show=..&lang=..
  // The light basemap by default: the default style draws the MST itself,
  // which would show under whatever model is picked here.
  const state = { zoom: 9, lat: 46.9, lon: 16.15, style: "light", vec: false, model: "mst", k: 3,
                  km: 25, cb: false, show: ["towns", "network"], lang: "en" };
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
    state.lang = I.use(I.choose(h.get("lang"), navigator.languages));
  })();
  document.documentElement.lang = state.lang;
  document.title = t("title") + " · coopmap";
  document.getElementById("map").setAttribute("aria-label", t("mapLabel"));
  // The map's labels in the same language (English labels are the names).
  const langQuery = state.lang === "en" ? "" : "?lang=" + state.lang;
  // A town's name in the language, and all its other names.
  const nameOf = (p) => p["name_" + state.lang] || p.name;
  const allNames = (p) => [...new Set([p.name, p.name_local, p.name_sl, p.name_de, p.name_hu, p.name_en,
                                       p.name_bilingual, p.geonames_name].filter(Boolean))];
  // What to show at start; state.show then follows the layer control.
  const initialShow = state.show.slice();
  function writeHash() {
    const c = map.getCenter();
    const h = new URLSearchParams({
      map: [map.getZoom(), c.lat.toFixed(4), c.lng.toFixed(4)].join("/"), style: state.style,
      vec: state.vec ? "1" : "0",
      model: state.model, k: state.k, km: state.km, cb: state.cb ? "1" : "0",
      show: state.show.join(","), lang: state.lang,
    });
    history.replaceState(null, "", "#" + h.toString().replace(/%2F/g, "/").replace(/%2C/g, ","));
  }

  const map = L.map("map", { keyboard: true }).setView([state.lat, state.lon], state.zoom);
  // Towns above the ties, so a click on a town never lands on a line.
  map.createPane("towns").style.zIndex = 450;
  const towns = {};         // name -> marker
  const townById = {};      // id -> feature
  const townByName = {};    // name -> feature
  let townMetrics = {};     // id -> metrics in the current network
  let networkLayer = null;
  let networkSeq = 0;
  const ready = { towns: false, network: false, tiles: false };
  function markReady() {
    if (ready.towns && ready.network && !tableDone) {
      tableDone = true; // the first time; loadNetwork updates it afterwards
      townsTable.update(networkQuery()).then(() => { document.body.dataset.tableReady = "true"; });
    }
    if (ready.towns && ready.network && ready.tiles) document.body.dataset.ready = "true";
  }
  let tableDone = false;

  // --- base layers: one per style from /tiles, as PNG tiles and, when
  // MapLibre GL JS is there, as vector tiles drawn in the browser from the
  // same style (/styles/{id}.json); the overlays and popups stay the same.
  const bases = {};
  const overlays = {};
  const layers = L.control.layers(bases, overlays, { collapsed: true }).addTo(map);
  function vectorLayer(s) {
    const layer = L.maplibreGL({ style: "/styles/" + encodeURIComponent(s.id) + ".json" + langQuery,
                                 attribution: "coopmap vector tiles" });
    layer.once("add", () => layer.getMaplibreMap().once("idle", () => layer.fire("load")));
    return layer;
  }
  C.getJSON("/tiles").then(async (list) => {
    for (const s of list.styles) {
      const tj = await C.getJSON("/tiles/" + encodeURIComponent(s.id) + ".json");
      bases[s.title] = C.tileLayer(s.id, tj, langQuery);
      bases[s.title].styleId = s.id;
      layers.addBaseLayer(bases[s.title], s.title);
    }
    for (const s of window.maplibregl && L.maplibreGL ? list.styles : []) {
      const title = s.title + " " + t("vector");
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
      keyboard: true, title: nameOf(f.properties),
    }),
    onEachFeature: (f, layer) => {
      towns[f.properties.name] = layer;
      townById[String(f.id)] = f;
      townByName[f.properties.name] = f;
      layer.bindTooltip(nameOf(f.properties));
      layer.bindPopup(() => popupContent(f), { maxWidth: 320 });
      layer.on("popupopen", () => fillDistances(f, layer));
      layer.on("click", (e) => { if (measuring) { L.DomEvent.stop(e); measureClick(e.latlng); } });
    },
  });
  overlays[t("towns")] = townsLayer;
  layers.addOverlay(townsLayer, t("towns"));
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
  layers.addOverlay(regionsLayer, t("regions"));
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
    exportLinks();
  }
  if (initialShow.includes("regions")) regionsLayer.addTo(map);

  // --- network
  const networkGroup = L.layerGroup();
  layers.addOverlay(networkGroup, t("networkLayer"));
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
        f.properties.from + " – " + f.properties.to + ": " +
        f.properties.distance_km.toLocaleString(state.lang, { maximumFractionDigits: 1 }) + " km"),
    });
    networkGroup.addLayer(networkLayer);
    const s = fc.summary;
    countEl.textContent = t("count", { edges: s.edges, components: s.components,
      km: Math.round(s.total_length_km).toLocaleString(state.lang) });
    countEl.dataset.edges = s.edges;
    if (ready.network && ready.towns) {
      document.body.dataset.tableReady = "false";
      townsTable.update(networkQuery()).then(() => { document.body.dataset.tableReady = "true"; });
    }
    ready.network = true;
    document.body.dataset.networkReady = "true";
    exportLinks();
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
        '<h2><button type="button" id="picker-toggle" aria-expanded="true" aria-controls="picker-body">' +
        esc(t("network")) + '</button></h2><div id="picker-body">' +
        "<label>" + esc(t("model")) + ' <select id="model" aria-label="' + esc(t("modelLabel")) + '">' +
        MODELS.map((m) => '<option value="' + m + '">' + esc(t("model." + m)) + "</option>").join("") +
        "</select></label>" +
        "<label>" + esc(t("k")) + ' <input id="k" type="number" min="1" max="23" step="1"></label>' +
        "<label>" + esc(t("km")) + ' <input id="km" type="number" min="1" max="500" step="1"></label>' +
        '<label><input id="cross-border" type="checkbox"> ' + esc(t("crossBorder")) + "</label>" +
        '<div class="count" id="edge-count" aria-live="polite"></div>' +
        '<button id="measure" type="button" aria-pressed="false">' + esc(t("measure")) + "</button>" +
        '<div class="count" id="measure-out" aria-live="polite"></div>' +
        '<div class="export">' + esc(t("export")) + ' <a id="export-png" download>PNG</a> ' +
        '<a id="export-pdf" download>PDF</a> <button id="print" type="button">' + esc(t("print")) + "</button></div>" +
        "<label>" + esc(t("language")) + ' <select id="lang">' +
        I.LANGS.map((l) => '<option value="' + l + '" lang="' + l + '">' + esc(I.NAMES[l]) + "</option>").join("") +
        "</select></label></div>";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },
  });
  // --- the town search: any of a town's names, without case or accents
  // ("pettau" finds Ptuj, "ormoz" Ormož); a combobox with a listbox.
  const Search = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      const div = L.DomUtil.create("div", "panel search");
      div.innerHTML = '<label for="town-search">' + esc(t("search")) + "</label>" +
        '<input id="town-search" type="search" role="combobox" autocomplete="off" aria-expanded="false" ' +
        'aria-autocomplete="list" aria-controls="town-results" aria-label="' + esc(t("searchLabel")) + '">' +
        '<ul id="town-results" role="listbox" aria-label="' + esc(t("towns")) + '" hidden></ul>' +
        '<div class="count" id="search-none" aria-live="polite"></div>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },
  });
  new Search().addTo(map);
  new Picker().addTo(map);
  const searchEl = document.getElementById("town-search"), resultsEl = document.getElementById("town-results");
  const noneEl = document.getElementById("search-none");
  let found = [], active = -1;
  function matches(text) {
    const q = I.fold(text).trim();
    if (!q) return [];
    const hits = [];
    for (const f of Object.values(townById)) {
      const names = allNames(f.properties), folded = names.map(I.fold);
      const i = folded.findIndex((n) => n.startsWith(q)), j = folded.findIndex((n) => n.includes(q));
      if (j >= 0) hits.push({ f: f, prefix: i >= 0, via: names[i >= 0 ? i : j] });
    }
    return hits.sort((a, b) => (b.prefix - a.prefix) || (b.f.properties.population - a.f.properties.population))
      .slice(0, 8);
  }
  function showResults() {
    found = matches(searchEl.value);
    active = found.length ? 0 : -1;
    resultsEl.innerHTML = found.map((h, i) => {
      const shown = nameOf(h.f.properties);
      return '<li role="option" id="town-option-' + i + '" data-town="' + esc(h.f.properties.name) + '"' +
        (i === active ? ' aria-selected="true"' : "") + ">" + esc(shown) +
        (h.via !== shown ? ' <span class="via">' + esc(h.via) + "</span>" : "") + "</li>";
    }).join("");
    resultsEl.hidden = found.length === 0;
    searchEl.setAttribute("aria-expanded", String(found.length > 0));
    searchEl.setAttribute("aria-activedescendant", active >= 0 ? "town-option-" + active : "");
    noneEl.textContent = searchEl.value.trim() && !found.length ? t("noTown") : "";
  }
  function zoomTo(f) {
    const [lon, lat] = f.geometry.coordinates;
    map.setView([lat, lon], Math.max(map.getZoom(), 11));
    towns[f.properties.name].openPopup();
  }
  function pick(h) {
    zoomTo(h.f);
    searchEl.value = nameOf(h.f.properties);
    resultsEl.hidden = true;
    searchEl.setAttribute("aria-expanded", "false");
  }
  searchEl.addEventListener("input", showResults);
  searchEl.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!found.length) return;
      active = (active + (e.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
      [...resultsEl.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
      searchEl.setAttribute("aria-activedescendant", "town-option-" + active);
      e.preventDefault();
    } else if (e.key === "Enter" && found.length) {
      pick(found[Math.max(active, 0)]);
      e.preventDefault();
    } else if (e.key === "Escape") {
      resultsEl.hidden = true;
      searchEl.setAttribute("aria-expanded", "false");
    }
  });
  resultsEl.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-town]");
    const h = li && found.find((x) => x.f.properties.name === li.dataset.town);
    if (h) pick(h);
  });
  countEl = document.getElementById("edge-count");
  // The panel folds away; on a phone it starts folded, leaving the map.
  const pickerToggle = document.getElementById("picker-toggle"), pickerBody = document.getElementById("picker-body");
  function foldPicker(folded) {
    pickerBody.hidden = folded;
    pickerToggle.setAttribute("aria-expanded", String(!folded));
  }
  pickerToggle.addEventListener("click", () => foldPicker(!pickerBody.hidden));
  foldPicker(window.matchMedia("(max-width: 600px)").matches);
  const modelEl = document.getElementById("model"), kEl = document.getElementById("k");
  const kmEl = document.getElementById("km"), cbEl = document.getElementById("cross-border");
  modelEl.value = state.model;
  kEl.value = state.k;
  kmEl.value = state.km;
  cbEl.checked = state.cb;
  // Another language: the same view, permalink and all, in it.
  const langEl = document.getElementById("lang");
  langEl.value = state.lang;
  langEl.addEventListener("change", () => {
    state.lang = langEl.value;
    writeHash();
    location.reload();
  });
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
  function num(x, digits) {
    return x != null ? x.toLocaleString(state.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–";
  }
  function popupContent(f) {
    const p = f.properties, m = townMetrics[String(f.id)] || {};
    const heading = nameOf(p), names = allNames(p).filter((n) => n !== heading);
    const row = (k, v) => "<tr><td>" + esc(t(k)) + "</td><td>" + v + "</td></tr>";
    return '<div class="popup"><h3>' + esc(heading) + "</h3>" +
      (names.length ? '<div class="names">' + names.map(esc).join(" · ") + "</div>" : "") +
      "<table>" +
      row("country", esc(countryNames[p.country] || p.country)) +
      row("region", esc(p.nuts3_name) + " (" + esc(p.nuts3) + "), " + esc(p.nuts2_name)) +
      row("population", num(p.population, 0)) +
      (p.project_partner ? row("partner", esc(p.project_partner)) : "") +
      row("degree", (m.degree ?? "–") + " (" + esc(t("model." + state.model)) + ")") +
      row("betweenness", num(m.betweenness, 3)) +
      row("closeness", num(m.closeness, 4)) +
      '</table><div class="dists" id="dists-' + esc(f.id) + '" tabindex="0" role="region" aria-label="' +
      esc(t("distances")) + '">' + esc(t("distancesLoading")) + "</div></div>";
  }
  // The countries' names in the language (Unicode CLDR's, in the data).
  const countryNames = {};
  C.getJSON("/collections/countries/items?limit=100&properties=code,name,name_" + state.lang).then((fc) =>
    fc.features.forEach((f) => { countryNames[f.properties.code] = f.properties["name_" + state.lang] || f.properties.name; }));
  async function fillDistances(f, layer) {
    const d = await C.getJSON("/distances?from=" + encodeURIComponent(f.id));
    const rows = d.pairs.filter((p) => p.to !== f.properties.name)
      .sort((a, b) => a.distance_km - b.distance_km);
    const el = layer.getPopup().getElement().querySelector(".dists");
    const shown = (name) => { const f = towns[name] && towns[name].feature; return f ? nameOf(f.properties) : name; };
    el.innerHTML = "<table><caption>" + esc(t("distances")) + "</caption>" + rows.map((p) =>
      '<tr data-town="' + esc(p.to) + '" data-metres="' + Math.round(p.distance_km * 1000) + '"><td>' +
      esc(shown(p.to)) + '</td><td class="km">' + num(p.distance_km, 1) + " km</td></tr>").join("") + "</table>";
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
    measureOut.textContent = measuring ? t("measureFirst") : "";
    if (measureLine) { map.removeLayer(measureLine); measureLine = null; }
  });
  async function measureClick(latlng) {
    measurePts.push(latlng);
    if (measurePts.length < 2) { measureOut.textContent = t("measureSecond"); return; }
    const [a, b] = measurePts;
    const g = await C.getJSON("/geodesic?from=" + a.lng + "," + a.lat + "&to=" + b.lng + "," + b.lat);
    if (measureLine) map.removeLayer(measureLine);
    measureLine = L.polyline([a, b], { color: "#222", weight: 2, dashArray: "2 6" }).addTo(map);
    measureOut.textContent = t("measured", { km: num(g.distance_km, 2) });
    measurePts = [];
  }
  map.on("click", (e) => { if (measuring) measureClick(e.latlng); });

  // --- the towns panel (web/towns-table.js)
  const townsTable = window.coopmapTownsTable(map, {
    t: t, lang: state.lang, nameOf: nameOf, towns: townByName,
    countryName: (code) => countryNames[code] || code,
    pick: (name) => zoomTo(townByName[name]),
  });

  // --- export: the view as /map.png and /map.pdf (same box, size, style and
  // language), and a print layout (title, legend, scale bar, attribution:
  // viewer.css's print rules)
  L.control.scale({ position: "bottomright", imperial: false }).addTo(map);
  const printTitle = L.DomUtil.create("h1", "print-title", document.body);
  printTitle.textContent = t("title");
  // (a function declaration: loadNetwork and syncShown call it early too)
  function exportLinks() {
    if (!document.getElementById("export-png")) return;
    const b = map.getBounds(), size = map.getSize();
    const q = new URLSearchParams({
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(","),
      width: size.x, height: size.y, style: state.style,
    });
    if (state.lang !== "en") q.set("lang", state.lang);
    if (state.show.includes("network")) // the ties shown, drawn by the server the same way
      new URLSearchParams(networkQuery()).forEach((v, k) => q.set(k === "model" ? "network" : k, v));
    document.getElementById("export-png").href = "/map.png?" + q;
    document.getElementById("export-pdf").href = "/map.pdf?" + q;
  }
  map.on("moveend resize", exportLinks);
  map.on("baselayerchange", exportLinks);
  exportLinks();
  document.getElementById("print").addEventListener("click", () => window.print());

  // --- legend matching the styles
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    this.div = L.DomUtil.create("div", "panel legend");
    this.update();
    return this.div;
  };
  legend.update = function () {
    if (!this.div) return;
    this.div.innerHTML = "<h2>" + esc(t("legend")) + "</h2>" +
      '<div><span class="swatch cross"></span>' + esc(t("legendCross")) + "</div>" +
      '<div><span class="swatch domestic"></span>' + esc(t("legendDomestic")) + "</div>" +
      '<div><span class="dot member"></span>' + esc(t("legendMember")) + "</div>" +
      '<div><span class="dot partner"></span>' + esc(t("legendPartner")) + "</div>" +
      (state.style === "default" ? "<div><small>" + esc(t("legendMst")) + "</small></div>" : "");
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
