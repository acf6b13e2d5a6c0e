// Resident report page: the phone's location, a pin on a map of the named places (community boundaries, then
// compounds and buildings as it is zoomed in: no tile server needed), and a check of how many photos were chosen. All text comes from data-* attributes, already translated by the template.
// Without JavaScript the form still works with a building QR code; the server checks everything again.
(function () {
  "use strict";

  const lat = document.getElementById("id_lat");
  const lon = document.getElementById("id_lon");
  const status = document.getElementById("location-status");
  const mapEl = document.getElementById("pin-map");
  let map = null;
  let marker = null;

  function say(text) {
    if (status) status.textContent = text || "";
  }

  function pin(latitude, longitude, text) {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    if (map) {
      const point = [latitude, longitude];
      if (marker) marker.setLatLng(point);
      else marker = L.circleMarker(point, { radius: 9, color: "#ffffff", weight: 3, fillColor: "#a8231c", fillOpacity: 1 }).addTo(map);
      // Close enough to see the buildings' names around the pin, so the resident can move it to the right one.
      if (map.getZoom() < 16) map.setView(point, 16);
      else map.panTo(point);
    }
    say(text);
    if (mapEl) mapEl.dataset.pinned = "true";
    lookNearby();
  }

  // "Already reported nearby?": once there is a text and a place, ask which open cases nearby may be the same problem
  // (a fragment rendered by the server, in public words only, with a "follow it" button each). Typing pauses a
  // moment before asking; an empty answer hides the panel.
  const form = document.getElementById("report-form");
  const nearby = document.getElementById("nearby");
  const text = document.getElementById("id_description");
  let timer = null;
  let asked = "";

  function lookNearby() {
    if (!form || !nearby || !text || !form.dataset.nearby) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const building = form.querySelector("input[name=token]");
      const where = building ? building.value : lat && lon ? lat.value + "," + lon.value : "";
      const category = document.getElementById("id_category");
      const key = [text.value.trim(), where, category ? category.value : ""].join("|");
      if (text.value.trim().length < 4 || !where || where === "," || key === asked) return;
      asked = key;
      const data = new FormData();
      ["csrfmiddlewaretoken", "j", "token", "description", "category", "lat", "lon"].forEach((name) => {
        const field = form.elements.namedItem(name);
        if (field && "value" in field) data.append(name, field.value);
      });
      fetch(form.dataset.nearby, { method: "POST", body: data, credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : ""))
        .then((html) => {
          nearby.innerHTML = html; // our own server's fragment, escaped by its templates
          nearby.hidden = !html.trim();
          nearby.dataset.ready = "true";
        })
        .catch(() => {
          nearby.hidden = true;
        });
    }, 700);
  }

  if (text) {
    text.addEventListener("input", lookNearby);
    text.addEventListener("change", lookNearby);
  }
  const categorySelect = document.getElementById("id_category");
  if (categorySelect) categorySelect.addEventListener("change", lookNearby);
  if (text && text.value.trim()) lookNearby();

  if (mapEl && window.L && window.GongzhiMap && lat && lon) {
    map = window.GongzhiMap.create(mapEl);
    // The base layer: community boundaries and names, compounds and buildings named as the map is zoomed in, so a
    // resident can find their building without a tile server (grid.mapdata).
    const base = window.GongzhiMap.baseLayer(map, mapEl, {
      fit: true,
      areaStyle: { color: "#1d3b53", weight: 1.5, fillColor: "#2f6f9f", fillOpacity: 0.12 },
    });
    base.ready
      .then((bounds) => {
        if (!bounds) map.setView([30, 120], 4);
        map.on("click", (e) => pin(e.latlng.lat, e.latlng.lng, mapEl.dataset.pinnedText));
        if (lat.value && lon.value) pin(parseFloat(lat.value), parseFloat(lon.value), "");
        mapEl.dataset.ready = "true";
      })
      .catch(() => {
        map.remove();
        map = null;
        mapEl.classList.add("empty");
        mapEl.textContent = mapEl.dataset.errorText || "";
        mapEl.dataset.ready = "error";
      });
  }

  if (lat && lon && window.GongzhiMap) window.GongzhiMap.locateButton(document.getElementById("use-location"), pin, say);

  const files = document.getElementById("id_photos");
  const count = document.getElementById("photo-count");
  if (files && count) {
    files.addEventListener("change", () => {
      const max = parseInt(files.dataset.max || "4", 10);
      const n = files.files ? files.files.length : 0;
      files.setCustomValidity(n > max ? files.dataset.tooMany : "");
      count.textContent = n > max ? files.dataset.tooMany : "";
    });
  }

  // The tracking page, for the reporter: where they reported it, on the community boundaries (read only).
  const where = document.getElementById("where-map");
  if (where && window.L) {
    const point = [parseFloat(where.dataset.lat), parseFloat(where.dataset.lon)];
    const small = L.map(where, { attributionControl: false, scrollWheelZoom: false, dragging: false, zoomSnap: 0.25 });
    if (where.dataset.tiles) L.tileLayer(where.dataset.tiles, { maxZoom: 19 }).addTo(small);
    small.setView(point, 16);
    L.circleMarker(point, { radius: 9, color: "#ffffff", weight: 3, fillColor: "#a8231c", fillOpacity: 1 }).addTo(small);
    fetch(where.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then((data) => {
        L.geoJSON(data.features || [], {
          style: () => ({ color: "#1d3b53", weight: 1.5, fillColor: "#2f6f9f", fillOpacity: 0.12 }),
          onEachFeature: (f, l) => {
            const label = document.createElement("span");
            label.textContent = f.properties.name;
            l.bindTooltip(label, { direction: "center", className: "grid-label" });
          },
        }).addTo(small);
        where.dataset.ready = "true";
      })
      .catch(() => {
        where.dataset.ready = "true"; // the point is drawn; only the boundaries are missing
      });
  }
})();
