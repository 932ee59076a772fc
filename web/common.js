// Shared by the viewer and the embed: fetch helpers, HTML escaping and the
// tile layer.
"use strict";
window.coopmapCommon = {
  // Text made safe inside HTML elements and attributes.
  esc: function (s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  },
  getJSON: async function (url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(url + ": HTTP " + res.status);
    return res.json();
  },
  // coopmap's own tiles; {r} asks for the @2x tiles on high-DPI screens.
  // query: "" or "?lang=de&labels=bilingual", the labels' language
  tileLayer: function (style, tilejson, query) {
    return L.tileLayer("/tiles/" + encodeURIComponent(style) + "/{z}/{x}/{y}{r}.png" + (query || ""), {
      maxZoom: tilejson ? tilejson.maxzoom : 18,
      attribution: tilejson ? tilejson.attribution : "",
    });
  },
};
