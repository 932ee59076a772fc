// The embed builder: pick a town or an area, zoom, style, language and
// network; a live preview of the embeddable map, and the <iframe> and
// <img> code to paste into a website. Its own words follow the browser's
// language (or ?ui=sl|de|hu|en), like the viewer's.
"use strict";
(async function () {
  const C = window.coopmapCommon, I = window.coopmapI18n, t = I.t;
  const lang = I.use(I.choose(new URLSearchParams(location.search).get("ui"), navigator.languages));
  document.documentElement.lang = lang;
  document.title = t("builder.title") + " · coopmap";
  const WORDS = { "b-title": "builder.title", "b-place": "builder.place", "b-town": "builder.town",
    "b-area": "builder.area", "b-zoom": "builder.zoom", "b-style": "builder.style", "b-lang": "builder.lang",
    "b-bilingual": "builder.bilingual", "b-network": "builder.network", "b-size": "builder.size",
    "b-preview": "builder.preview", "b-code": "builder.code", "b-iframe": "builder.iframe", "b-img": "builder.img",
    "copy-iframe": "builder.copy", "copy-img": "builder.copy" };
  for (const [id, key] of Object.entries(WORDS)) document.getElementById(id).textContent = t(key);
  const $ = (id) => document.getElementById(id);
  const option = (value, text) => { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; };

  const [towns, styles] = await Promise.all([C.getJSON("/collections/towns/items?limit=1000"), C.getJSON("/tiles")]);
  const nameOf = (p) => p["name_" + lang] || p.name;
  towns.features.slice().sort((a, b) => nameOf(a.properties).localeCompare(nameOf(b.properties), lang))
    .forEach((f) => $("town").appendChild(option(f.properties.name, nameOf(f.properties))));
  $("town").value = "Ptuj";
  styles.styles.forEach((s) => $("style").appendChild(option(s.id, s.title)));
  $("style").value = styles.styles.some((s) => s.id === "light") ? "light" : styles.styles[0].id;
  I.LANGS.forEach((l) => $("lang").appendChild(option(l, I.NAMES[l])));
  $("lang").value = lang;
  $("network").appendChild(option("", t("builder.none")));
  ["mst", "knn", "delaunay", "gabriel", "rng", "edges"].forEach((m) => $("network").appendChild(option(m, t("model." + m))));

  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  // The embed's address and the static map's for the choices made.
  function urls() {
    const w = Math.min(1600, Math.max(200, +$("width").value || 600));
    const h = Math.min(1200, Math.max(150, +$("height").value || 400));
    const zoom = Math.min(16, Math.max(6, +$("zoom").value || 10));
    const town = document.querySelector('input[name="place"]:checked').value === "town";
    const common = { style: $("style").value };
    if ($("lang").value !== "en") common.lang = $("lang").value;
    if ($("bilingual").checked) common.labels = "bilingual";
    const e = new URLSearchParams(common), m = new URLSearchParams(Object.assign({ width: w, height: h }, common));
    if (town) {
      const f = towns.features.find((x) => x.properties.name === $("town").value);
      e.set("town", f.properties.name);
      e.set("zoom", zoom);
      m.set("center", f.geometry.coordinates.map((x) => x.toFixed(5)).join(","));
      m.set("zoom", zoom);
    } else {
      e.set("bbox", $("bbox").value);
      m.set("bbox", $("bbox").value);
    }
    if ($("network").value) e.set("network", $("network").value);
    return { embed: location.origin + "/embed?" + e, image: location.origin + "/map.png?" + m, w: w, h: h };
  }
  let timer = null;
  function update() {
    const u = urls();
    const preview = $("preview");
    if (preview.getAttribute("src") !== u.embed) preview.src = u.embed;
    preview.width = u.w;
    preview.height = u.h;
    $("code-iframe").value = '<iframe src="' + esc(u.embed) + '" width="' + u.w + '" height="' + u.h +
      '" style="border:0" title="' + esc(t("mapLabel")) + '" loading="lazy"></iframe>';
    $("code-img").value = '<img src="' + esc(u.image) + '" width="' + u.w + '" height="' + u.h +
      '" alt="' + esc(t("mapLabel")) + '">';
    document.body.dataset.ready = "true";
  }
  $("form").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 250); });
  $("form").addEventListener("change", update);
  for (const which of ["iframe", "img"]) {
    $("copy-" + which).addEventListener("click", async () => {
      const area = $("code-" + which);
      try { await navigator.clipboard.writeText(area.value); } catch (e) { area.select(); document.execCommand("copy"); }
      $("copied").textContent = t("builder.copied");
    });
  }
  update();
})();
