// The grid profile's map: the grid's outline and its things as coloured points (no tile server
// needed on a closed network; a deployment may set GRIDGOV_TILE_URL).
(function () {
  "use strict";
  const el = document.getElementById("profile-map");
  const data = document.getElementById("profile-data");
  if (!el || !data || !window.L) return;
  const d = JSON.parse(data.textContent);
  const map = L.map(el, { zoomSnap: 0.25, preferCanvas: true, attributionControl: !!el.dataset.tileUrl });
  el.leafletMap = map;
  if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  const colours = { facility: "#4e79a7", poi: "#59a14f", key_place: "#f28e2b", hazard: "#e15759" };
  const outline = L.geoJSON(d.grid, { style: { color: "#0b2e59", weight: 2, fillColor: "#9ecae1", fillOpacity: 0.25 } }).addTo(map);
  // The view must exist before canvas markers are added to it.
  const bounds = outline.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  else map.setView([36.06, 103.83], 12);
  d.points.forEach((p) => {
    L.circleMarker([p.lat, p.lon], { radius: 5, color: colours[p.kind] || "#333", weight: 1, fillOpacity: 0.85 })
      .bindTooltip(p.name)
      .addTo(map);
  });
  el.dataset.pointCount = String(d.points.length);
  el.classList.add("ready");
})();
