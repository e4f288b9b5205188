// The report form's place picker: tap the map or use the phone's GPS. Browsers give WGS84;
// a mini-program web-view may pass its GCJ-02 position as ?lon=&lat=&coord_system=gcj02,
// which the server converts.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("report-form");
  if (!form) return;
  const lon = $("lon"), lat = $("lat"), crs = $("coord_system"), picked = $("picked");
  let map = null, marker = null;

  function setPoint(y, x, system, how) {
    lon.value = x.toFixed(7); lat.value = y.toFixed(7); crs.value = system;
    picked.textContent = `已选位置(${how}):${x.toFixed(5)}, ${y.toFixed(5)}`;
    picked.classList.remove("muted");
    if (map && system === "wgs84") {
      if (marker) marker.setLatLng([y, x]); else marker = L.marker([y, x]).addTo(map);
    }
  }

  const params = new URLSearchParams(location.search);
  if (params.get("lon") && params.get("lat") && !lon.value) {
    setPoint(Number(params.get("lat")), Number(params.get("lon")), params.get("coord_system") || "wgs84", "小程序定位");
  }

  const el = $("pick-map");
  if (el && window.L) {
    map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
    el.leafletMap = map;
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    map.setView([36.06, 103.83], 9);
    map.on("click", (ev) => setPoint(ev.latlng.lat, ev.latlng.lng, "wgs84", "地图点选"));
    fetch(el.dataset.outline, { headers: { Accept: "application/json" } })
      .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then((fc) => {
        const layer = L.geoJSON(fc, {
          style: { color: "#c8102e", weight: 1, fillColor: "#f4a3ad", fillOpacity: 0.12 },
          onEachFeature: (f, l) => l.on("click", (ev) => setPoint(ev.latlng.lat, ev.latlng.lng, "wgs84", "地图点选")),
        }).addTo(map);
        const b = layer.getBounds();
        if (b.isValid()) map.fitBounds(b, { padding: [4, 4] });
        el.classList.add("ready");
      })
      .catch((err) => { el.dataset.error = err.message; el.classList.add("ready"); });
  }

  const gps = $("use-gps");
  if (gps) {
    gps.addEventListener("click", () => {
      if (!navigator.geolocation) { picked.textContent = "此设备不支持定位,请在地图上点选。"; return; }
      picked.textContent = "正在定位…";
      navigator.geolocation.getCurrentPosition(
        (pos) => {
          setPoint(pos.coords.latitude, pos.coords.longitude, "wgs84", "手机定位");
          if (map) map.setView([pos.coords.latitude, pos.coords.longitude], 15);
        },
        () => { picked.textContent = "无法获取定位,请在地图上点选。"; },
        { enableHighAccuracy: true, timeout: 10000 },
      );
    });
  }

  // One tap, one submission: the key makes a second one harmless, this makes it rare.
  form.addEventListener("submit", () => {
    const button = $("send");
    setTimeout(() => { button.disabled = true; button.textContent = "正在提交…"; }, 0);
  });
})();
