// Case maps: one case's point (#case-point-map) or the filtered case list as points (#case-map). Like grid-map.js,
// the map works without tiles (air-gapped); text comes from data-* attributes. Sets data-ready when drawn.
(function () {
  "use strict";
  if (!window.L) return;
  const colours = { breached: "#a8231c", warning: "#b26a00", on_track: "#17507c", paused: "#6b5b95", done: "#6b7680" };

  function baseMap(el) {
    const map = L.map(el, { zoomSnap: 0.25, attributionControl: false, scrollWheelZoom: false });
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
    return map;
  }

  const point = document.getElementById("case-point-map");
  if (point) {
    const lat = parseFloat(point.dataset.lat);
    const lon = parseFloat(point.dataset.lon);
    const map = baseMap(point);
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
  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
    .then((data) => {
      const features = data.features || [];
      if (!features.length) {
        message(el.dataset.emptyText, "empty");
        return;
      }
      const map = baseMap(el);
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
          l.bindTooltip(f.properties.code + " " + f.properties.title + " · " + f.properties.status, {
            direction: "top",
            className: "grid-label",
          });
          l.on("click", () => {
            window.location.href = f.properties.url;
          });
        },
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 17 });
      el.dataset.ready = "true";
    })
    .catch(() => message(el.dataset.errorText, "error"));
})();
