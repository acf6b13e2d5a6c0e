// Grid boundary map. The boundaries are the base layer, so it works on an air-gapped network; a tile server is
// optional (GONGZHI_MAP_TILE_URL, same host or allowed by the CSP). Clicking a subdivision opens its page.
// All text comes from data-* attributes, already translated by the template; names reach Leaflet as text, through
// GongzhiMap (gongzhi-map.js), never as HTML. Sets data-ready="true" once drawn
// (the browser tests wait for it), "empty" when there is nothing to draw and "error" when loading failed.
(function () {
  "use strict";
  const el = document.getElementById("grid-map");
  if (!el || !window.L || !window.GongzhiMap) return;

  // Eight fills that stay apart in hue and lightness; outlines carry the shape for colour-blind readers.
  const palette = ["#2f6f9f", "#3c8d5a", "#c0772a", "#7b4f9d", "#b24a4a", "#2a8c8c", "#9a8a1f", "#5a6b7d"];
  const LABEL_LIMIT = 40; // above this many areas, names show on hover/tap only
  const baseStyle = { color: "#1d3b53", weight: 1.5, opacity: 0.9, fillOpacity: 0.38 };
  const parentName = el.dataset.parentName || "";

  function message(text, state) {
    el.classList.add("empty");
    el.textContent = text || "";
    el.dataset.ready = state;
  }

  // "幸福社区第3网格" inside 幸福社区 is labelled "第3网格": the map already says where it is.
  function shortName(name) {
    return parentName && name.startsWith(parentName) && name.length > parentName.length
      ? name.slice(parentName.length)
      : name;
  }

  const M = window.GongzhiMap;
  const map = M.create(el);

  M.getJSON(el.dataset.geojson)
    .then((data) => {
      const all = data.features || [];
      const areas = all.filter((f) => f.properties.kind !== "building");
      const buildings = all.filter((f) => f.properties.kind === "building");
      if (!areas.length) {
        map.remove();
        message(el.dataset.emptyText, "empty");
        return;
      }
      const clickable = areas.length > 1 || areas[0].properties.level !== "micro_grid";
      const permanent = areas.length <= LABEL_LIMIT;
      const labelled = [];
      const layer = L.geoJSON(areas, {
        style: (f) => Object.assign({ fillColor: palette[areas.indexOf(f) % palette.length] }, baseStyle),
        onEachFeature: (f, l) => {
          // A micro-grid drawn on its own page is named by the page title already.
          if (f.properties.name !== parentName) {
            M.tooltip(l, shortName(f.properties.name), {
              permanent: permanent,
              direction: "center",
              className: "grid-label",
              sticky: !permanent,
            });
            labelled.push(l);
          }
          l.on("mouseover", () => {
            l.setStyle({ weight: 3, fillOpacity: 0.55 });
            const label = l.getTooltip() && l.getTooltip().getElement();
            if (label) label.classList.remove("is-hidden");
          });
          l.on("mouseout", () => {
            l.setStyle({ weight: baseStyle.weight, fillOpacity: baseStyle.fillOpacity });
            declutter();
          });
          if (clickable) {
            l.on("click", () => {
              window.location.href = el.dataset.nodeUrl.replace("/0/", "/" + f.properties.id + "/");
            });
          }
        },
      }).addTo(map);

      if (buildings.length) {
        L.geoJSON(buildings, {
          pointToLayer: (f, latlng) =>
            L.circleMarker(latlng, { radius: 6, color: "#ffffff", weight: 2, fillColor: "#a8231c", fillOpacity: 1 }),
          onEachFeature: (f, l) => M.tooltip(l, f.properties.name, { direction: "top", className: "grid-label" }),
        }).addTo(map);
      }

      // The compounds (and, above a micro-grid, the buildings) named as the map is zoomed in; their names come before
      // the areas' when labels would cover one another. A micro-grid's page draws its own buildings.
      const micro = areas.length === 1 && areas[0].properties.level === "micro_grid";
      const base = M.baseLayer(map, el, {
        areas: false,
        buildings: !micro && !buildings.length,
        otherLabels: () => (permanent ? labelled.map((l) => l.getTooltip()) : []),
      });
      function declutter() {
        base.declutter();
      }

      map.fitBounds(layer.getBounds(), { padding: [12, 12] });
      declutter();
      el.dataset.ready = "true";
    })
    .catch(() => {
      map.remove();
      message(el.dataset.errorText, "error");
    });
})();
