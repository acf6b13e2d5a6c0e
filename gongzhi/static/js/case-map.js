// Case maps: one case's point (#case-point-map) or the filtered case list as points (#case-map). Like grid-map.js,
// the map works without tiles (air-gapped); text comes from data-* attributes, and the cases' own text (written by
// residents) reaches Leaflet as text through GongzhiMap, never as HTML. Sets data-ready when drawn.
(function () {
  "use strict";
  if (!window.L || !window.GongzhiMap) return;
  const M = window.GongzhiMap;
  const colours = { breached: "#a8231c", warning: "#b26a00", on_track: "#17507c", paused: "#6b5b95", done: "#6b7680" };

  const point = document.getElementById("case-point-map");
  if (point) {
    const lat = parseFloat(point.dataset.lat);
    const lon = parseFloat(point.dataset.lon);
    const map = M.create(point);
    map.setView([lat, lon], 16);
    L.circleMarker([lat, lon], { radius: 9, color: "#ffffff", weight: 2, fillColor: "#a8231c", fillOpacity: 1 }).addTo(map);
    point.dataset.ready = "true";
  }

  const el = document.getElementById("case-map");
  if (!el) return;
  function message(text, state) {
    el.classList.add("empty");
    el.textContent = text || "";
    el.dataset.ready = state;
  }
  M.getJSON(el.dataset.geojson)
    .then((data) => {
      const features = data.features || [];
      if (!features.length) {
        message(el.dataset.emptyText, "empty");
        return;
      }
      const map = M.create(el);
      const layer = L.geoJSON(features, {
        pointToLayer: (f, latlng) =>
          L.circleMarker(latlng, {
            radius: 7,
            color: "#ffffff",
            weight: 1.5,
            fillColor: colours[f.properties.deadline] || colours.on_track,
            fillOpacity: 0.95,
          }),
        onEachFeature: (f, l) => {
          const p = f.properties;
          M.tooltip(l, [p.code + " · " + p.status, p.title, p.address], { direction: "top", className: "grid-label" });
          l.on("click", () => {
            window.location.href = p.url;
          });
        },
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 17 });
      el.dataset.ready = "true";
    })
    .catch(() => message(el.dataset.errorText, "error"));
})();
