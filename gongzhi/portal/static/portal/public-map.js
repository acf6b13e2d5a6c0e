// The public map of published results (FixMyStreet-like). Works without a tile server: community boundaries are the
// base layer. Every text comes from the server as plain text and is put into the page with textContent — never as
// HTML given to Leaflet — so a summary holding markup shows as the characters it is. Sets data-ready when drawn.
(function () {
  "use strict";
  const el = document.getElementById("public-map");
  if (!el || !window.L) return;

  function message(text, state) {
    el.classList.add("empty");
    el.textContent = text || "";
    el.dataset.ready = state;
  }

  function text(tag, className, value) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = value || "";
    return node;
  }

  // The popup of one result, built from DOM nodes.
  function popup(p) {
    const box = document.createElement("div");
    box.className = "map-popup";
    box.appendChild(text("strong", "map-popup-title", p.category));
    box.appendChild(text("p", "muted", [p.place, (el.dataset.solvedText || "") + " " + p.resolved].filter(Boolean).join(" · ")));
    box.appendChild(text("p", "map-popup-summary", p.summary));
    if (typeof p.url === "string" && p.url.charAt(0) === "/") {
      const link = text("a", "", el.dataset.moreText);
      link.href = p.url;
      box.appendChild(link);
    }
    return box;
  }

  function json(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) =>
      r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))
    );
  }

  Promise.all([json(el.dataset.geojson), json(el.dataset.areas).catch(() => ({ features: [] }))])
    .then(([cases, areas]) => {
      const features = cases.features || [];
      if (!features.length) {
        message(el.dataset.emptyText, "empty");
        return;
      }
      const map = L.map(el, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
      if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
      L.geoJSON(areas.features || [], {
        style: () => ({ color: "#1d3b53", weight: 1, fillColor: "#2f6f9f", fillOpacity: 0.08 }),
        onEachFeature: (f, layer) => {
          layer.bindTooltip(text("span", "", f.properties.name), { direction: "center", className: "grid-label" });
        },
      }).addTo(map);
      // Several results on one building share its point: spread them on a small ring so each can be tapped.
      const seen = {};
      function spread(latlng) {
        const key = latlng.lat.toFixed(5) + "," + latlng.lng.toFixed(5);
        const k = (seen[key] = (seen[key] || 0) + 1) - 1;
        if (!k) return latlng;
        const ring = Math.ceil(k / 8);
        const angle = (k % 8) * (Math.PI / 4) + ring * 0.4;
        return L.latLng(latlng.lat + 0.00008 * ring * Math.sin(angle), latlng.lng + 0.0001 * ring * Math.cos(angle));
      }
      const points = L.geoJSON(features, {
        pointToLayer: (f, latlng) =>
          L.circleMarker(spread(latlng), { radius: 8, color: "#ffffff", weight: 2, fillColor: "#1f7a3d", fillOpacity: 0.95 }),
        onEachFeature: (f, layer) => {
          layer.bindPopup(() => popup(f.properties), { maxWidth: 280 });
          layer.on("add", () => {
            const path = layer.getElement && layer.getElement();
            if (path) {
              path.setAttribute("data-id", f.properties.id);
              path.setAttribute("tabindex", "0");
              path.setAttribute("role", "button");
              path.setAttribute("aria-label", f.properties.category + " · " + f.properties.place);
              path.addEventListener("keydown", (e) => {
                if (e.key === "Enter" || e.key === " ") layer.openPopup();
              });
            }
          });
        },
      }).addTo(map);
      map.fitBounds(points.getBounds(), { padding: [20, 20], maxZoom: 17 });
      el.dataset.ready = "true";
    })
    .catch(() => message(el.dataset.errorText, "error"));
})();
