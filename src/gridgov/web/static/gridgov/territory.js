// The territory map: our own polygons on a plain background (no tile server is needed on a
// closed network); a deployment may set GRIDGOV_TILE_URL to its own tile server.
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || !window.L) return;

  const map = L.map(el, { zoomSnap: 0.25, preferCanvas: true, attributionControl: !!el.dataset.tileUrl });
  el.leafletMap = map; // for keyboard users' tools and the browser tests
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }

  const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  const kindColour = { community: "#4e79a7", rural: "#59a14f", dedicated: "#f28e2b" };

  function styleFor(feature, i) {
    const p = feature.properties || {};
    const colour = p.is_grid ? (kindColour[p.kind] || "#4e79a7") : palette[i % palette.length];
    return { color: "#1d3557", weight: 1, fillColor: colour, fillOpacity: 0.45 };
  }

  function urlFor(props) {
    const tpl = props.is_grid ? el.dataset.gridUrl : el.dataset.regionUrl;
    return tpl ? tpl.replace("__code__", encodeURIComponent(props.code)) : null;
  }

  function draw(collection, outline) {
    let i = 0;
    const layer = L.geoJSON(collection, {
      style: (f) => styleFor(f, i++),
      onEachFeature: (f, l) => {
        const p = f.properties;
        l.bindTooltip(`${p.name}<br><small>${p.code}</small>`, { sticky: true });
        const target = urlFor(p);
        if (target) {
          l.on("click", () => { window.location.href = target; });
        }
        l.on("mouseover", () => l.setStyle({ weight: 3, fillOpacity: 0.65 }));
        l.on("mouseout", () => l.setStyle({ weight: 1, fillOpacity: 0.45 }));
      },
    }).addTo(map);
    if (outline) {
      L.geoJSON(outline, { style: { color: "#0b2e59", weight: 2.5, fill: false }, interactive: false }).addTo(map);
    }
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    el.dataset.featureCount = String(collection.features ? collection.features.length : 1);
    el.classList.add("ready");
  }

  const inline = document.getElementById("grid-feature");
  if (inline) {
    draw(JSON.parse(inline.textContent), null);
    return;
  }
  fetch(el.dataset.features, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then((fc) => draw(fc, fc.region))
    .catch((err) => {
      el.classList.add("failed");
      el.textContent = "地图数据加载失败(" + err.message + "),请刷新重试。";
    });
})();
