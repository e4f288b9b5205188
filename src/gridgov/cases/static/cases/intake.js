// The 12345 seat's intake: phone first, category by search, a point on the map, Ctrl+Enter.
// One Idempotency-Key per form load: a double click or a retry after a lost answer gives back
// the same case instead of a second one. A refused request writes nothing, so the key stays.
(function () {
  "use strict";
  const form = document.getElementById("intake");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const { call, randomKey, showFiles, uploadFiles } = window.gridgovCases;
  let key = randomKey();
  let busy = false;
  form.dataset.key = key;

  // --- the caller's earlier cases -------------------------------------------------------
  const phone = $("phone"), history = $("history");
  let timer = null, asked = "";
  function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
  async function lookup() {
    const value = phone.value.replace(/\D/g, "");
    if (value.length < 7) { history.innerHTML = ""; asked = ""; return; }
    if (value === asked) return;
    asked = value;
    const r = await fetch(form.dataset.callerUrl + "?phone=" + encodeURIComponent(value), { credentials: "same-origin" });
    if (!r.ok || asked !== value) return;
    const data = await r.json();
    if (!data.count) { history.innerHTML = '<p class="small muted" id="history-none">该号码没有历史诉求。</p>'; return; }
    history.innerHTML = `<p class="small"><strong>该来电人有 ${data.count} 件历史诉求</strong>(最近 ${data.items.length} 件)</p><ul id="history-list">` +
      data.items.map((c) => `<li><a href="${esc(c.url)}" target="_blank" rel="noopener"><code>${esc(c.number)}</code></a> ${esc(c.title)} <span class="badge">${esc(c.status)}</span> <span class="muted small">${esc(c.created_at)} · ${esc(c.reporter)}</span></li>`).join("") + "</ul>";
    if (!$("name").value && data.items[0].reporter) $("name").placeholder = "历史记录:" + data.items[0].reporter;
  }
  phone.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 300); });

  // --- category picker ------------------------------------------------------------------
  const search = $("category-search"), select = $("category"), picked = $("category-picked");
  function filterCategories() {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let first = null;
    for (const opt of select.options) {
      const hay = (opt.dataset.search || opt.text).toLowerCase();
      opt.hidden = !words.every((w) => hay.includes(w));
      if (!opt.hidden && !first) first = opt;
    }
    for (const group of select.querySelectorAll("optgroup")) {
      group.hidden = Array.from(group.children).every((o) => o.hidden);
    }
    return first;
  }
  function showPicked() {
    const opt = select.selectedOptions[0];
    picked.textContent = opt ? `已选:${opt.parentElement.label ? opt.parentElement.label + " › " : ""}${opt.text}(${opt.value})` : "未选择分类";
    picked.classList.toggle("muted", !opt);
  }
  search.addEventListener("input", () => {
    const first = filterCategories();
    if (first && search.value.trim()) { select.value = first.value; showPicked(); }
  });
  search.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown") { ev.preventDefault(); select.focus(); }
    if (ev.key === "Enter" && !ev.ctrlKey) { ev.preventDefault(); const f = filterCategories(); if (f) { select.value = f.value; showPicked(); $("title").focus(); } }
  });
  select.addEventListener("change", showPicked);
  select.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.ctrlKey) { ev.preventDefault(); showPicked(); $("title").focus(); } });

  // --- the map --------------------------------------------------------------------------
  const el = $("map");
  let map = null, marker = null;
  function setPoint(lat, lon) {
    $("lon").value = lon.toFixed(6); $("lat").value = lat.toFixed(6);
    if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon]).addTo(map);
    $("picked").textContent = `已选位置:${lon.toFixed(6)}, ${lat.toFixed(6)}(WGS84)`;
    $("picked").classList.remove("muted");
    $("clear-point").hidden = false;
  }
  function clearPoint() {
    $("lon").value = ""; $("lat").value = "";
    if (marker) { marker.remove(); marker = null; }
    $("picked").textContent = "在地图上点击事发位置(WGS84)。"; $("picked").classList.add("muted");
    $("clear-point").hidden = true;
  }
  $("clear-point").addEventListener("click", clearPoint);
  if (el && window.L) {
    map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
    el.leafletMap = map;
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    map.setView([36.06, 103.83], 10);
    map.on("click", (ev) => setPoint(ev.latlng.lat, ev.latlng.lng));
    if (el.dataset.features) {
      fetch(el.dataset.features, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then((fc) => {
          const layer = L.geoJSON(fc, {
            style: { color: "#1d3557", weight: 1, fillColor: "#4e79a7", fillOpacity: 0.15 },
            onEachFeature: (f, l) => {
              l.bindTooltip(f.properties.name, { sticky: true });
              l.on("click", (ev) => setPoint(ev.latlng.lat, ev.latlng.lng));
            },
          }).addTo(map);
          const b = layer.getBounds();
          if (b.isValid()) map.fitBounds(b, { padding: [8, 8] });
          el.classList.add("ready");
        })
        .catch((err) => { el.dataset.error = err.message; el.classList.add("ready"); });
    } else {
      el.classList.add("ready");
    }
  }

  // --- submit ---------------------------------------------------------------------------
  const errorBox = $("intake-error"), state = $("submit-state"), button = $("submit");
  function showError(text) {
    errorBox.querySelector("li").textContent = text;
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "nearest" });
  }
  function body() {
    const opt = select.selectedOptions[0];
    const anonymous = $("anonymous").checked;
    const title = $("title").value.trim() || (opt ? opt.text + ($("address").value.trim() ? ":" + $("address").value.trim() : "") : "");
    const out = {
      channel: $("channel").value,
      category: select.value,
      title: title.slice(0, 200),
      description: $("description").value,
      urgency: $("urgency").value,
      address: $("address").value.trim(),
      reporter: anonymous ? { anonymous: true } : { name: $("name").value.trim(), phone: phone.value.trim(), anonymous: false },
    };
    if ($("lon").value && $("lat").value) out.location = { lon: Number($("lon").value), lat: Number($("lat").value), crs: "wgs84" };
    return out;
  }
  // --- attachments ----------------------------------------------------------------------
  const files = $("files"), fileList = $("file-list"), fileError = $("file-error");
  files.addEventListener("change", () => showFiles(files, fileList, fileError));

  async function submit() {
    if (busy) return;
    errorBox.hidden = true;
    if (!select.value) { showError("请选择事项分类。"); search.focus(); return; }
    if (!showFiles(files, fileList, fileError)) { showError("附件有误:" + fileError.textContent); files.focus(); return; }
    busy = true; button.disabled = true; state.textContent = files.files.length ? "正在上传附件…" : "正在提交…";
    const up = await uploadFiles(files, form.dataset.uploadUrl);
    if (!up.ok) { busy = false; button.disabled = false; state.textContent = ""; showError(up.error); return; }
    state.textContent = "正在提交…";
    const payload = body();
    if (up.ids.length) payload.attachment_ids = up.ids;
    const r = await call("POST", form.dataset.api, payload, { "Idempotency-Key": key });
    busy = false; button.disabled = false; state.textContent = "";
    if (!r.ok) { showError(r.error); return; }
    const number = r.body.number;
    $("new-number").textContent = number;
    $("new-status").textContent = `${r.body.status_label} · 责任单位:${r.body.owner ? r.body.owner.name : ""}${r.status === 200 ? "(已确认登记,未重复建件)" : ""}`;
    $("new-open").href = form.dataset.detailUrl.replace("__n__", encodeURIComponent(number));
    form.hidden = true;
    $("done").hidden = false;
    $("new-next").focus();
  }
  function next() {
    form.reset(); clearPoint(); filterCategories(); showPicked();
    fileList.textContent = ""; fileError.textContent = "";
    $("name").disabled = phone.disabled = false;
    history.innerHTML = ""; asked = ""; $("name").placeholder = "";
    key = randomKey(); form.dataset.key = key;
    $("done").hidden = true; form.hidden = false; errorBox.hidden = true;
    phone.focus();
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); submit(); });
  $("new-next").addEventListener("click", (ev) => { ev.preventDefault(); next(); });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && !form.hidden) { ev.preventDefault(); submit(); }
    if ((ev.key === "n" || ev.key === "N") && ev.altKey && !$("done").hidden) { ev.preventDefault(); next(); }
  });
  $("anonymous").addEventListener("change", (ev) => { $("name").disabled = phone.disabled = ev.target.checked; });
})();
