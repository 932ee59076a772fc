// The viewer's towns panel: the towns of the current network as a table
// (degree, weighted degree, closeness, betweenness from /network/metrics,
// and the nearest town across a border from /distances), sortable by any
// column, a click on a town zooms to it, and a CSV download of the rows.
// coopmapTownsTable(map, options) -> { update(query) }, where options has
// t (the words), lang, nameOf(properties), pick(name) and the towns' GeoJSON
// features by name.
"use strict";
window.coopmapTownsTable = function (map, o) {
  const C = window.coopmapCommon, t = o.t;
  const COLUMNS = [
    { key: "town", text: "table.town", num: false },
    { key: "country", text: "country", num: false },
    { key: "degree", text: "degree", num: true, digits: 0 },
    { key: "weighted_degree_km", text: "table.weighted", num: true, digits: 1 },
    { key: "closeness", text: "closeness", num: true, digits: 4 },
    { key: "betweenness", text: "betweenness", num: true, digits: 3 },
    { key: "nearest_km", text: "table.nearest", num: true, digits: 1 },
  ];
  let rows = [], sortKey = "degree", descending = true;
  const esc = C.esc;
  const fmt = (x, digits) => x == null ? "–"
    : x.toLocaleString(o.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });

  const Panel = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      const div = L.DomUtil.create("div", "panel towns-table");
      div.innerHTML = '<button type="button" id="table-toggle" aria-expanded="false" aria-controls="table-body">' +
        esc(t("table.show")) + "</button>" +
        '<div id="table-body" hidden><div class="table-scroll"><table id="towns-table"></table></div>' +
        '<button type="button" id="table-csv">' + esc(t("table.csv")) + "</button></div>";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },
  });
  new Panel().addTo(map);
  const toggle = document.getElementById("table-toggle"), body = document.getElementById("table-body");
  const table = document.getElementById("towns-table");
  toggle.addEventListener("click", () => {
    body.hidden = !body.hidden;
    toggle.setAttribute("aria-expanded", String(!body.hidden));
    toggle.textContent = t(body.hidden ? "table.show" : "table.hide");
  });

  // Nearest town in another country, from the distance matrix.
  let matrix = null;
  async function nearestAcross() {
    if (!matrix) matrix = await C.getJSON("/distances");
    const country = (name) => o.towns[name] && o.towns[name].properties.country;
    const out = {};
    matrix.from.forEach((a, i) => {
      let best = null;
      matrix.to.forEach((b, j) => {
        if (country(b.name) !== country(a.name) && (!best || matrix.matrix_km[i][j] < best.km))
          best = { name: b.name, km: matrix.matrix_km[i][j] };
      });
      out[a.name] = best;
    });
    return out;
  }

  function render() {
    const col = COLUMNS.find((c) => c.key === sortKey);
    const value = (r) => col.key === "town" ? o.nameOf(o.towns[r.name].properties) : r[col.key];
    rows.sort((a, b) => {
      const x = value(a), y = value(b);
      const c = col.num ? (x ?? -Infinity) - (y ?? -Infinity) : String(x).localeCompare(String(y), o.lang);
      return (descending ? -c : c) || a.name.localeCompare(b.name);
    });
    table.innerHTML = "<caption>" + esc(t("table.caption")) + "</caption><thead><tr>" + COLUMNS.map((c) =>
      '<th scope="col" aria-sort="' + (c.key === sortKey ? (descending ? "descending" : "ascending") : "none") +
      '"><button type="button" data-sort="' + c.key + '">' + esc(t(c.text)) + "</button></th>").join("") +
      "</tr></thead><tbody>" + rows.map((r) => '<tr data-town="' + esc(r.name) + '">' + COLUMNS.map((c) => {
        if (c.key === "town")
          return '<th scope="row"><button type="button" data-zoom="' + esc(r.name) + '">' +
            esc(o.nameOf(o.towns[r.name].properties)) + "</button></th>";
        if (c.key === "nearest_km")
          return '<td data-key="nearest" data-value="' + esc(r.nearest_name) + '">' +
            esc(r.nearest_name ? o.nameOf(o.towns[r.nearest_name].properties) : "–") + " " + fmt(r.nearest_km, 1) + " km</td>";
        return '<td data-key="' + c.key + '" data-value="' + esc(r[c.key]) + '">' +
          (c.num ? fmt(r[c.key], c.digits) : esc(o.countryName(r[c.key]))) + "</td>";
      }).join("") + "</tr>").join("") + "</tbody>";
  }
  table.addEventListener("click", (e) => {
    const sort = e.target.closest("button[data-sort]"), zoom = e.target.closest("button[data-zoom]");
    if (sort) {
      descending = sort.dataset.sort === sortKey ? !descending : COLUMNS.find((c) => c.key === sort.dataset.sort).num;
      sortKey = sort.dataset.sort;
      render();
      table.querySelector('button[data-sort="' + sortKey + '"]').focus();
    } else if (zoom) {
      o.pick(zoom.dataset.zoom);
    }
  });

  // The rows as CSV (UTF-8, a header row, raw numbers), downloaded.
  document.getElementById("table-csv").addEventListener("click", () => {
    const q = (s) => '"' + String(s == null ? "" : s).replace(/"/g, '""') + '"';
    const lines = [["town", "name", "country", "degree", "weighted_degree_km", "closeness", "betweenness",
      "nearest_across_border", "nearest_km"].join(",")].concat(rows.map((r) => [q(r.name),
      q(o.nameOf(o.towns[r.name].properties)), q(r.country), r.degree, r.weighted_degree_km, r.closeness,
      r.betweenness, q(r.nearest_name), r.nearest_km ?? ""].join(",")));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" }));
    a.download = "coopmap-towns.csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
  });

  return {
    // The network's metrics for a /network query string; the table follows.
    update: async function (query) {
      const [m, near] = await Promise.all([C.getJSON("/network/metrics?" + query), nearestAcross()]);
      rows = m.nodes.map((n) => Object.assign({}, n, {
        nearest_name: near[n.name] ? near[n.name].name : null, nearest_km: near[n.name] ? near[n.name].km : null,
      }));
      render();
      table.dataset.query = query;
    },
  };
};
