// The 15-minute circle map: each station (green) with its walking circle, the places of the resources list (blue),
// and the buildings outside every circle (red, sized by households). Data from the page (json_script #circle-data);
// every text is DOM text (GongzhiMap). Sets data-ready when drawn.
(function () {
  "use strict";
  const el = document.getElementById("circle-map");
  const source = document.getElementById("circle-data");
  if (!el || !source || !window.L || !window.GongzhiMap) return;
  const G = window.GongzhiMap;
  const data = JSON.parse(source.textContent);
  const map = G.create(el);
  G.baseLayer(map, el, { buildings: false });
  const layers = []; // what the map opens on: the area's stations and the buildings outside the walk
  const others = [];
  (data.stations || []).forEach((s) => {
    const at = L.latLng(s.lat, s.lon);
    L.circle(at, { radius: data.reach_m, color: "#1f7a3d", weight: 1, fillColor: "#1f7a3d", fillOpacity: 0.08, interactive: false }).addTo(map);
    const dot = L.circleMarker(at, { radius: 7, color: "#ffffff", weight: 2, fillColor: "#1f7a3d", fillOpacity: 0.95 }).addTo(map);
    G.tooltip(dot, [s.name, s.kind]);
    (s.inside ? layers : others).push(dot);
  });
  (data.resources || []).forEach((r) => {
    const dot = L.circleMarker(L.latLng(r.lat, r.lon), { radius: 4, color: "#ffffff", weight: 1, fillColor: "#17507c", fillOpacity: 0.9 }).addTo(map);
    G.tooltip(dot, [r.name, r.kind]);
    dot.on("add", () => { const p = dot.getElement && dot.getElement(); if (p) p.setAttribute("data-resource", "1"); });
  });
  (data.uncovered || []).forEach((b) => {
    const radius = 3 + Math.min(6, Math.sqrt(b.households || 0) / 2);
    const dot = L.circleMarker(L.latLng(b.lat, b.lon), { radius: radius, color: "#a4262c", weight: 1, fillColor: "#d13438", fillOpacity: 0.8 }).addTo(map);
    const walk = b.minutes === null ? "" : b.minutes + " " + (el.dataset.minutesText || "");
    G.tooltip(dot, [b.name, walk, b.households ? b.households + " " + (el.dataset.householdsText || "") : ""]);
    dot.on("add", () => { const p = dot.getElement && dot.getElement(); if (p) p.setAttribute("data-uncovered", "1"); });
    layers.push(dot);
  });
  if (!layers.length) layers.push(...others);
  if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [20, 20], maxZoom: 16 });
  else map.setView([30.66, 104.06], 12);
  el.dataset.ready = "true";
})();
