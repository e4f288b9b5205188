// The case page: each act's small form posts to the actions API; a refusal shows the API's
// Chinese message and keeps what was typed. The reporter is unmasked only with a reason.
(function () {
  "use strict";
  const root = document.getElementById("case");
  if (!root) return;
  const { call, showFiles, uploadFiles } = window.gridgovCases;

  function payload(form) {
    const out = { expected_version: Number(root.dataset.version) };
    const data = new FormData(form);
    for (const name of new Set(data.keys())) {
      if (name === "files") continue; // uploaded first, then named by id
      const input = form.elements[name];
      const values = data.getAll(name).map(String);
      if (name === "departments") { out.departments = values; continue; }
      const v = values[0].trim();
      if (v === "") continue;
      const type = input && input.dataset ? input.dataset.type : "";
      if (name === "passed") out.passed = v === "true";
      else if (type === "int") out[name] = parseInt(v, 10);
      else if (type === "datetime") out[name] = (v.length === 16 ? v + ":00" : v) + root.dataset.tz;
      else out[name] = v;
    }
    return out;
  }

  document.querySelectorAll("form.act-form input[type=file]").forEach((input) => {
    const form = input.form;
    input.addEventListener("change", () => showFiles(input, form.querySelector(".file-list"), form.querySelector(".form-error")));
  });

  document.querySelectorAll("form.act-form").forEach((form) => {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]");
      const box = form.querySelector(".form-error");
      box.textContent = "";
      const files = form.querySelector("input[type=file]");
      if (files && !showFiles(files, form.querySelector(".file-list"), box)) { files.focus(); return; }
      button.disabled = true;
      const body = payload(form);
      if (files && files.files.length) {
        const up = await uploadFiles(files, root.dataset.upload);
        if (!up.ok) { button.disabled = false; box.textContent = up.error; return; }
        body.attachment_ids = up.ids;
      }
      const r = await call("POST", `${root.dataset.api}/actions/${form.dataset.act}`, body);
      button.disabled = false;
      if (!r.ok) { box.textContent = r.error; return; }
      if (r.body && r.body.visible === false) {
        window.location.href = root.dataset.afterHidden;
        return;
      }
      window.location.reload();
    });
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
    });
  });

  const unmask = document.getElementById("unmask");
  if (unmask) {
    unmask.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const reason = unmask.elements.reason.value.trim();
      const err = document.getElementById("unmask-error");
      err.textContent = "";
      if (reason.length < 2) { err.textContent = "请填写查看理由(至少 2 个字)。"; unmask.elements.reason.focus(); return; }
      const r = await call("GET", `${root.dataset.api}/reporter?reason=${encodeURIComponent(reason)}`);
      if (!r.ok) { err.textContent = r.error; return; }
      document.getElementById("reporter-name").textContent = r.body.name || "—";
      document.getElementById("reporter-phone").textContent = r.body.phone || "—";
      unmask.hidden = true;
    });
  }

  const el = document.getElementById("map");
  if (el && window.L) {
    const map = L.map(el, { attributionControl: !!el.dataset.tileUrl });
    el.leafletMap = map;
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    const grid = JSON.parse(document.getElementById("case-grid").textContent);
    const point = JSON.parse(document.getElementById("case-point").textContent);
    let bounds = null;
    if (grid) {
      const layer = L.geoJSON(grid, { style: { color: "#1d3557", weight: 1.5, fillColor: "#4e79a7", fillOpacity: 0.2 } }).addTo(map);
      layer.bindTooltip(grid.properties.name);
      bounds = layer.getBounds();
    }
    if (point) {
      L.marker([point.lat, point.lon]).addTo(map);
      if (!bounds || !bounds.isValid()) map.setView([point.lat, point.lon], 15);
    }
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16 });
    el.classList.add("ready");
  }
})();
