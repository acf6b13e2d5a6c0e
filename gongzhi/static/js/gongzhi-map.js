// What every gongzhi map shares (load after leaflet.js, before the page's own map script): window.GongzhiMap.
//
// Text, never HTML: Leaflet puts a string given to bindTooltip/bindPopup/setContent into innerHTML, so a resident's
// "<img src=x onerror=…>" in a case title would become an element. Every label, tooltip and popup is built here as
// DOM nodes whose text is set with textContent; the page scripts pass plain strings and never call Leaflet with a
// string of their own.
//
// create() makes the map: no attribution, tiles only when data-tiles names a tile server (the boundaries are the
// base layer, so maps work on an air-gapped network), the zoom buttons titled from data-zoom-in/-out (translated by
// the template: templates/maps/attrs.html).
(function () {
  "use strict";
  if (!window.L) return;

  // A block of text lines: content for a tooltip or popup. Each line is a string (or a number); empty lines are left
  // out. The first line can be made bold by CSS (.map-text-head), without markup in the data.
  function text(lines, className) {
    const box = document.createElement("div");
    box.className = "map-text" + (className ? " " + className : "");
    (Array.isArray(lines) ? lines : [lines]).forEach((line, i) => {
      if (line === null || line === undefined || line === "") return;
      const row = document.createElement("div");
      if (i === 0) row.className = "map-text-head";
      row.textContent = String(line);
      box.appendChild(row);
    });
    return box;
  }

  function tooltip(layer, lines, options) {
    return layer.bindTooltip(text(lines, options && options.textClass), options);
  }

  function popup(layer, lines, options) {
    return layer.bindPopup(text(lines, options && options.textClass), options);
  }

  // A label standing on its own at a point (not bound to a shape): a permanent, non-interactive tooltip.
  function label(latlng, lines, options) {
    const opts = Object.assign({ permanent: true, direction: "center", interactive: false }, options || {});
    return L.tooltip(opts).setLatLng(latlng).setContent(text(lines, opts.textClass));
  }

  function create(el, options) {
    const d = el.dataset;
    const map = L.map(
      el,
      Object.assign({ zoomSnap: 0.25, attributionControl: false, scrollWheelZoom: false, zoomControl: false }, options || {})
    );
    L.control
      .zoom({ zoomInTitle: d.zoomIn || "Zoom in", zoomOutTitle: d.zoomOut || "Zoom out", position: "topleft" })
      .addTo(map);
    if (d.tiles) L.tileLayer(d.tiles, { maxZoom: 19 }).addTo(map);
    return map;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) =>
      r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))
    );
  }

  window.GongzhiMap = { text, tooltip, popup, label, create, getJSON };
})();
