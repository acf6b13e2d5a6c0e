// What every gongzhi map shares (load after leaflet.js, before the page's own map script): window.GongzhiMap.
//
// Text, never HTML: Leaflet puts a string given to bindTooltip/bindPopup/setContent into innerHTML, so a resident's
// "<img src=x onerror=…>" in a case title would become an element. Every label, tooltip and popup is built here as
// DOM nodes whose text is set with textContent; the page scripts pass plain strings and never call Leaflet with a
// string of their own.
//
// create() makes the map: no attribution, tiles only when data-tiles names a tile server (the boundaries are the
// base layer, so maps work on an air-gapped network), the zoom buttons titled from data-zoom-in/-out (translated by
// the template: templates/maps/attrs.html). baseLayer() draws the named places from data-map-areas (grid.mapdata):
// community boundaries and names, then compounds and buildings by tile as the map is zoomed in; declutter() hides
// labels that would cover one another.
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

  // Labels that would cover one another: the first ones (in priority order) stay, later ones are hidden until the
  // map is zoomed in far enough for them to fit. Reads every box first, then writes: one layout, not one per label.
  function declutter(map, tooltips) {
    const view = map.getContainer().getBoundingClientRect();
    const elements = tooltips.map((t) => t && t.getElement && t.getElement()).filter(Boolean);
    elements.forEach((e) => e.classList.remove("is-hidden"));
    const boxes = elements.map((e) => e.getBoundingClientRect());
    const shown = [];
    const hide = [];
    boxes.forEach((box, i) => {
      const outside = box.right < view.left || box.left > view.right || box.bottom < view.top || box.top > view.bottom;
      if (outside) return;
      const pad = 2;
      const hit = shown.some(
        (o) => !(box.right + pad <= o.left || box.left - pad >= o.right || box.bottom + pad <= o.top || box.top - pad >= o.bottom)
      );
      if (hit) hide.push(elements[i]);
      else shown.push(box);
    });
    hide.forEach((e) => e.classList.add("is-hidden"));
    return shown.length;
  }

  // The base layer: what the map shows of the place when there is no tile server (grid.mapdata). Community
  // boundaries with their names; from zoom 13 the compounds' names; from 15 the buildings, named.
  // Compounds and buildings come by tile (a handful of small cached answers per view), never all at once.
  const TILE_ZOOM = { compounds: 13, buildings: 14 };
  const SHOWN_FROM = { compounds: 13, buildings: 15 };
  const BUILDING_NAMES_FROM = 15;
  const MAX_TILES = 48;

  // Is the point inside a GeoJSON Polygon or MultiPolygon (even-odd rule over every ring, holes included)?
  function inside(geometry, lat, lon) {
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates || [];
    return polygons.some((rings) => {
      let odd = false;
      rings.forEach((ring) => {
        for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          const [xi, yi] = ring[i];
          const [xj, yj] = ring[j];
          if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) odd = !odd;
        }
      });
      return odd;
    });
  }

  // A line in a corner naming the area the map is centred on, once its own label may be out of view.
  const Caption = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      this._box = L.DomUtil.create("div", "map-caption");
      this._box.hidden = true;
      return this._box;
    },
    say: function (name) {
      this._box.textContent = name || "";
      this._box.hidden = !name;
    },
  });

  function panes(map) {
    if (!map.getPane("gz-base")) {
      map.createPane("gz-base").style.zIndex = 250; // above tiles (200), below the page's own shapes (400)
      map.createPane("gz-labels").style.zIndex = 390; // names under the page's own points and pins
      map.getPane("gz-labels").style.pointerEvents = "none";
    }
  }

  function baseLayer(map, el, options) {
    const opts = Object.assign(
      {
        areas: true,
        compounds: true,
        buildings: true,
        fit: false,
        areaStyle: { color: "#1d3b53", weight: 1.5, opacity: 0.8, fillColor: "#2f6f9f", fillOpacity: 0.08 },
        otherLabels: () => [],
        caption: true,
      },
      options || {}
    );
    const areasUrl = el.dataset.mapAreas;
    const result = { declutter: () => declutter(map, opts.otherLabels()), bounds: null, ready: Promise.resolve(null) };
    if (!areasUrl) {
      map.on("zoomend", result.declutter); // no named places to add: the page's own labels still take turns
      return result;
    }
    panes(map);
    const placesUrl = (layer, z, x, y) => areasUrl.replace(/areas\.geojson$/, `${layer}/${z}/${x}/${y}.geojson`);
    const areaLabels = [];
    const labels = { compounds: [], buildings: [] };
    const groups = {
      compounds: L.layerGroup(),
      buildings: L.layerGroup(),
      buildingNames: L.layerGroup(),
    };
    const asked = new Set();
    let areaFeatures = [];
    const caption = opts.caption ? new Caption().addTo(map) : null;

    function where() {
      if (!caption) return;
      const c = map.getCenter();
      const area = map.getZoom() >= SHOWN_FROM.compounds && areaFeatures.find((f) => inside(f.geometry, c.lat, c.lng));
      caption.say(area ? area.properties.name : "");
    }

    function shown(layer) {
      return opts[layer] && map.getZoom() >= SHOWN_FROM[layer];
    }

    function draw(layer, data) {
      (data.features || []).forEach((f) => {
        const [lon, lat] = f.geometry.coordinates;
        const p = f.properties;
        if (layer === "compounds") {
          const t = label([lat, lon], p.name, { className: "map-label place-label", pane: "gz-labels" });
          labels.compounds.push(t);
          groups.compounds.addLayer(t);
        } else {
          groups.buildings.addLayer(
            L.circleMarker([lat, lon], {
              pane: "gz-base",
              radius: 3.5,
              color: "#ffffff",
              weight: 1,
              fillColor: "#5a6b7d",
              fillOpacity: 1,
              interactive: false,
            })
          );
          const t = label([lat, lon], p.name, {
            className: "map-label building-label",
            direction: "right",
            offset: [5, 0],
            pane: "gz-labels",
          });
          labels.buildings.push(t);
          groups.buildingNames.addLayer(t);
        }
      });
    }

    function load() {
      ["compounds", "buildings"].forEach((layer) => {
        if (!shown(layer)) return;
        const z = TILE_ZOOM[layer];
        const b = map.getBounds();
        const nw = map.project(b.getNorthWest(), z).divideBy(256).floor();
        const se = map.project(b.getSouthEast(), z).divideBy(256).floor();
        const jobs = [];
        for (let x = nw.x; x <= se.x; x++) {
          for (let y = nw.y; y <= se.y; y++) {
            const key = layer + "/" + x + "/" + y;
            if (asked.has(key) || jobs.length >= MAX_TILES) continue;
            asked.add(key);
            jobs.push(
              getJSON(placesUrl(layer, z, x, y))
                .then((data) => draw(layer, data))
                .catch(() => asked.delete(key)) // asked again on the next move
            );
          }
        }
        if (jobs.length) Promise.allSettled(jobs).then(tidy);
      });
    }

    function priority() {
      const out = [];
      if (shown("compounds")) out.push(...labels.compounds);
      if (opts.buildings && map.getZoom() >= BUILDING_NAMES_FROM) out.push(...labels.buildings);
      out.push(...areaLabels, ...opts.otherLabels());
      return out;
    }

    function tidy() {
      where();
      ["compounds", "buildings"].forEach((layer) => {
        if (shown(layer)) groups[layer].addTo(map);
        else groups[layer].remove();
      });
      if (opts.buildings && map.getZoom() >= BUILDING_NAMES_FROM) groups.buildingNames.addTo(map);
      else groups.buildingNames.remove();
      return declutter(map, priority());
    }

    map.on("moveend", () => {
      tidy();
      load();
    });
    result.declutter = tidy;
    result.ready = !opts.areas
      ? Promise.resolve(null).then(() => {
          tidy();
          load();
          return null;
        })
      : getJSON(areasUrl).then((data) => {
          const features = data.features || [];
          areaFeatures = features.filter((f) => f.geometry);
          const layer = L.geoJSON(features, { pane: "gz-base", interactive: false, style: () => opts.areaStyle }).addTo(map);
          features.forEach((f) => {
            if (!f.properties.label) return;
            const t = label(f.properties.label, f.properties.name, { className: "map-label area-label", pane: "gz-labels" });
            areaLabels.push(t);
            t.addTo(map);
          });
          result.bounds = features.length ? layer.getBounds() : null;
          if (opts.fit && result.bounds) map.fitBounds(result.bounds, { padding: [8, 8] });
          tidy();
          load();
          return result.bounds;
        });
    return result;
  }

  // A "use my location" button (hidden until the browser can locate): a fix is handed to onFix(lat, lon, doneText);
  // say(text) reports waiting and failure in the page's own words (data-wait, data-done, data-fail).
  function locateButton(button, onFix, say) {
    if (!button || !navigator.geolocation) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      say(button.dataset.wait);
      navigator.geolocation.getCurrentPosition(
        (pos) => onFix(pos.coords.latitude, pos.coords.longitude, button.dataset.done),
        () => say(button.dataset.fail),
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // A "near me" form's locate button (#locate): the fix goes into the form as hidden lat/lon fields and the form is sent
  // (the list is the server's: the page works without this); the fields named in clearIds (another way of saying where,
  // e.g. a compound or community picker) are emptied first. Waiting and failure are said in #locate-status.
  function locateForm(form, clearIds) {
    const status = document.getElementById("locate-status");
    const say = (text) => { if (status) status.textContent = text || ""; };
    if (!form) return;
    locateButton(document.getElementById("locate"), (lat, lon, done) => {
      say(done);
      form.querySelectorAll("input[name=lat], input[name=lon]").forEach((x) => x.remove());
      [["lat", lat], ["lon", lon]].forEach(([name, value]) => {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value.toFixed(6);
        form.appendChild(input);
      });
      (clearIds || []).forEach((id) => { const field = document.getElementById(id); if (field) field.value = ""; });
      form.submit();
    }, say);
  }

  window.GongzhiMap = { text, tooltip, popup, label, create, getJSON, declutter, baseLayer, locateButton, locateForm };
})();
