// Stations near me: the stations of the list as points (nearest first), the resident's place when known, and the
// "use my location" button, which puts the browser's fix into the form and sends it (the list is the server's: the
// page works without this script). Every text is DOM text (GongzhiMap). Sets data-ready when drawn.
(function () {
  "use strict";
  const el = document.getElementById("stations-map");
  if (window.GongzhiMap) window.GongzhiMap.locateForm(document.getElementById("near-form"), ["compound"]);
  if (!el || !window.L || !window.GongzhiMap) return;
  const G = window.GongzhiMap;
  G.getJSON(el.dataset.geojson)
    .then((data) => {
      const map = G.create(el);
      G.baseLayer(map, el, { buildings: false });
      const here = el.dataset.lat ? L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)) : null;
      const layers = [];
      (data.features || []).forEach((f, i) => {
        const p = f.properties;
        const latlng = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        // Stations green (the nearest orange), other places of the resources list blue.
        const fill = i === 0 && here ? "#b5410f" : p.resource ? "#17507c" : "#1f7a3d";
        const marker = L.circleMarker(latlng, {
          radius: i === 0 && here ? 11 : p.resource ? 7 : 8, color: "#ffffff", weight: 2, fillColor: fill, fillOpacity: 0.95,
        }).addTo(map);
        const box = G.text([p.name, p.kind, p.minutes !== null ? p.minutes + " " + el.dataset.minutesText : ""]);
        if (typeof p.url === "string" && p.url.charAt(0) === "/") {
          const link = document.createElement("a");
          link.href = p.url;
          link.textContent = el.dataset.moreText || "";
          box.appendChild(link);
        }
        marker.bindPopup(box, { maxWidth: 260 });
        marker.on("add", () => {
          const path = marker.getElement && marker.getElement();
          if (path) { path.setAttribute(p.resource ? "data-resource" : "data-station", p.id); path.setAttribute("tabindex", "0"); path.setAttribute("role", "button"); path.setAttribute("aria-label", p.name); }
        });
        layers.push(marker);
      });
      if (here) {
        const me = L.circleMarker(here, { radius: 7, color: "#1d3b53", weight: 3, fillColor: "#ffffff", fillOpacity: 1 }).addTo(map);
        G.tooltip(me, [el.dataset.hereText || ""], { permanent: false });
        layers.push(me);
      }
      if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [24, 24], maxZoom: 16 });
      else map.setView([30.66, 104.06], 12);
      el.dataset.ready = "true";
    })
    .catch(() => { el.dataset.ready = "error"; });
})();
