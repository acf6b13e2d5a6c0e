// The market's maps: on "what's on" the week's market days and service days as points (with the resident's place
// when known) and the "use my location" button, which puts the browser's fix into the form and sends it (the list is
// the server's: the page works without this script); on an event's page its one place. The points come from the
// page (a json_script block), every label and popup is DOM text (GongzhiMap), never HTML. Sets data-ready when drawn.
(function () {
  "use strict";
  if (window.GongzhiMap) window.GongzhiMap.locateForm(document.getElementById("near-form"), ["node"]);
  const el = document.getElementById("market-map");
  const source = document.getElementById("market-points");
  if (!el || !source || !window.L || !window.GongzhiMap) return;
  const G = window.GongzhiMap;
  let points = [];
  try { points = JSON.parse(source.textContent) || []; } catch (e) { points = []; }
  const map = G.create(el);
  G.baseLayer(map, el, { buildings: false });
  const layers = [];
  points.forEach((p) => {
    const marker = L.circleMarker([p.lat, p.lon], { radius: 10, color: "#ffffff", weight: 3, fillColor: "#b5410f", fillOpacity: 0.95 }).addTo(map);
    const box = G.text([p.name, p.when, p.place]);
    if (typeof p.url === "string" && p.url.charAt(0) === "/" && el.dataset.moreText) {
      const link = document.createElement("a");
      link.href = p.url;
      link.textContent = el.dataset.moreText;
      box.appendChild(link);
    }
    marker.bindPopup(box, { maxWidth: 260 });
    layers.push(marker);
  });
  if (el.dataset.lat) {
    const me = L.circleMarker([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], { radius: 7, color: "#1d3b53", weight: 3, fillColor: "#ffffff", fillOpacity: 1 }).addTo(map);
    G.tooltip(me, [el.dataset.hereText || ""], { permanent: false });
    layers.push(me);
  }
  if (layers.length > 1) map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [24, 24], maxZoom: 16 });
  else if (layers.length === 1) map.setView(layers[0].getLatLng(), 16);
  else map.setView([30.66, 104.06], 12);
  el.dataset.ready = "true";
})();
