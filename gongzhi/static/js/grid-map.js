// Grid boundary map: the boundaries are the base layer, so it works on an air-gapped network.
// A tile server is optional (GONGZHI_MAP_TILE_URL). Clicking a subdivision opens it.
(function () {
  "use strict";
  const el = document.getElementById("grid-map");
  if (!el || !window.L) return;
  const palette = ["#2f6f9f", "#3c8d5a", "#b5651d", "#7b4f9d", "#a23b3b", "#2a8c8c", "#8a7a1f", "#5a6b7d"];
  const map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((data) => {
      if (!data.features.length) {
        el.classList.add("empty");
        el.textContent = el.dataset.emptyText || "—";
        return;
      }
      const layer = L.geoJSON(data, {
        style: (f) => ({
          color: "#1d3b53",
          weight: 1,
          fillColor: palette[f.properties.id % palette.length],
          fillOpacity: 0.35,
        }),
        onEachFeature: (f, l) => {
          l.bindTooltip(f.properties.name, { sticky: true });
          if (f.properties.level !== "micro_grid" || data.features.length > 1) {
            l.on("click", () => {
              window.location.href = el.dataset.nodeUrl.replace("/0/", "/" + f.properties.id + "/");
            });
          }
        },
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      el.dataset.ready = "true";
    })
    .catch(() => {
      el.classList.add("empty");
      el.dataset.ready = "error";
    });
})();
