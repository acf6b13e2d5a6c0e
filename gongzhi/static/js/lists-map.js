// The lists' maps: a resource's point. In a form (data-lat-field / data-lon-field) a tap places the point and writes
// it into the latitude and longitude fields; on a resident page (data-lat / data-lon, no fields) it only shows it.
// The base layer is the district's own (no tile server needed); no text reaches Leaflet as HTML. Sets
// data-ready="true" once drawn.
(function () {
  "use strict";
  document.querySelectorAll(".lists-map").forEach((el) => {
    if (!window.L || !window.GongzhiMap) return;
    const latField = el.dataset.latField ? document.getElementById(el.dataset.latField) : null;
    const lonField = el.dataset.lonField ? document.getElementById(el.dataset.lonField) : null;
    const map = window.GongzhiMap.create(el);
    let marker = null;
    const style = { radius: 9, color: "#ffffff", weight: 3, fillColor: "#a8231c", fillOpacity: 1 };

    function place(lat, lon) {
      const point = [lat, lon];
      if (marker) marker.setLatLng(point);
      else marker = L.circleMarker(point, style).addTo(map);
    }

    const lat = parseFloat(latField ? latField.value : el.dataset.lat);
    const lon = parseFloat(lonField ? lonField.value : el.dataset.lon);
    if (!isNaN(lat) && !isNaN(lon)) {
      place(lat, lon);
      map.setView([lat, lon], 16);
    } else {
      map.setView([30.08, 120.08], 13); // until the district's areas are drawn and fitted
    }
    const base = window.GongzhiMap.baseLayer(map, el, { fit: isNaN(lat) || isNaN(lon) });
    if (latField && lonField) {
      map.on("click", (e) => {
        latField.value = e.latlng.lat.toFixed(6);
        lonField.value = e.latlng.lng.toFixed(6);
        place(e.latlng.lat, e.latlng.lng);
        el.dataset.pinned = "true";
      });
      [latField, lonField].forEach((f) =>
        f.addEventListener("change", () => {
          const a = parseFloat(latField.value);
          const b = parseFloat(lonField.value);
          if (!isNaN(a) && !isNaN(b)) place(a, b);
        })
      );
    }
    Promise.resolve(base.ready).finally(() => {
      el.dataset.ready = "true";
    });
  });
})();
