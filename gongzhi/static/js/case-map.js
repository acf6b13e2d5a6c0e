// Case maps: one case's point (#case-point-map) or the filtered case list as points (#case-map), over the base layer
// of named places (community boundaries and names, compounds and buildings as the map is zoomed in), so they work
// without tiles (air-gapped); text comes from data-* attributes, and the cases' own text (written by residents)
// reaches Leaflet as text through GongzhiMap, never as HTML. Sets data-ready when drawn.
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
    map.setView([lat, lon], 15);
    L.circleMarker([lat, lon], { radius: 9, color: "#ffffff", weight: 2, fillColor: "#a8231c", fillOpacity: 1 }).addTo(map);
    // Where it is among the named places: the community, the compounds and buildings around the point.
    M.baseLayer(map, point)
      .ready.catch(() => null)
      .then(() => {
        point.dataset.ready = "true";
      });
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
      // The community boundaries and names under the cases; the names stay readable above the points (they let
      // the pointer through to the points).
      const base = M.baseLayer(map, el);
      if (map.getPane("gz-labels")) map.getPane("gz-labels").style.zIndex = 450;
      // Finished cases first and faint, so the open ones (drawn last) stay on top and stand out.
      const done = (f) => f.properties.deadline === "done";
      features.sort((a, b) => Number(done(b)) - Number(done(a)));
      const layer = L.geoJSON(features, {
        pointToLayer: (f, latlng) =>
          L.circleMarker(latlng, {
            radius: done(f) ? 4.5 : 6.5,
            color: "#ffffff",
            weight: done(f) ? 1 : 1.5,
            fillColor: colours[f.properties.deadline] || colours.on_track,
            fillOpacity: done(f) ? 0.55 : 0.95,
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
      return base.ready.catch(() => null).then(() => {
        el.dataset.ready = "true";
      });
    })
    .catch(() => message(el.dataset.errorText, "error"));
})();
