// The record form's map (代录 / 主动发现): the recorder's grid as the base layer (no tile server needed), a pin where
// the problem is (a tap, or the phone's location), written into the hidden lat/lon fields. Names reach Leaflet as
// text nodes, never as HTML. All text comes from data-* attributes, already translated by the template; the server
// checks everything again. Sets data-ready="true" once drawn, "error" when loading failed.
(function () {
  "use strict";
  const el = document.getElementById("record-map");
  const lat = document.getElementById("id_lat");
  const lon = document.getElementById("id_lon");
  const status = document.getElementById("location-status");
  const building = document.getElementById("id_building");
  const compound = document.getElementById("id_compound");
  if (!el || !window.L || !window.GongzhiMap || !lat || !lon) return;

  function say(text) {
    if (status) status.textContent = text || "";
  }

  const label = window.GongzhiMap.text;

  const map = L.map(el, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
  let marker = null;

  function pin(latitude, longitude, text) {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    const point = [latitude, longitude];
    if (marker) marker.setLatLng(point);
    else marker = L.circleMarker(point, { radius: 9, color: "#ffffff", weight: 3, fillColor: "#a8231c", fillOpacity: 1 }).addTo(map);
    map.panTo(point);
    // A pin replaces a building or compound chosen before: one place only.
    if (building) building.value = "";
    if (compound) compound.value = "";
    el.dataset.pinned = "true";
    say(text);
  }

  function unpin() {
    if (marker) {
      marker.remove();
      marker = null;
    }
    lat.value = "";
    lon.value = "";
    delete el.dataset.pinned;
    say("");
  }
  [building, compound].forEach((select) => {
    if (select) select.addEventListener("change", () => { if (select.value) unpin(); });
  });

  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
    .then((data) => {
      const all = data.features || [];
      const areas = all.filter((f) => f.properties.kind !== "building");
      const points = all.filter((f) => f.properties.kind === "building");
      const layer = L.geoJSON(areas, {
        style: () => ({ color: "#1d3b53", weight: 1.5, fillColor: "#2f6f9f", fillOpacity: 0.15 }),
        onEachFeature: (f, l) => l.bindTooltip(label(f.properties.name), { direction: "center", className: "grid-label" }),
      }).addTo(map);
      points.forEach((f) => {
        const [x, y] = f.geometry.coordinates;
        L.circleMarker([y, x], { radius: 4, color: "#1d3b53", weight: 1, fillColor: "#ffffff", fillOpacity: 1 })
          .bindTooltip(label(f.properties.name))
          .addTo(map);
      });
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      else map.setView([30, 120], 4);
      map.on("click", (e) => pin(e.latlng.lat, e.latlng.lng, el.dataset.pinnedText));
      if (lat.value && lon.value && !(building && building.value) && !(compound && compound.value)) {
        pin(parseFloat(lat.value), parseFloat(lon.value), "");
      }
      el.dataset.ready = "true";
    })
    .catch(() => {
      map.remove();
      el.classList.add("empty");
      el.textContent = el.dataset.errorText || "";
      el.dataset.ready = "error";
    });

  window.GongzhiMap.locateButton(document.getElementById("use-location"), pin, say);
})();
