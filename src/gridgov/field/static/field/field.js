/* The grid worker's phone app, offline first.
 *
 * Everything the worker enters goes into an outbox kept in IndexedDB (idb-keyval) before any
 * network call; the outbox is sent in order when the phone is online (at load, on the `online`
 * event, after each new entry and on a timer), with exponential backoff after a failure. Each
 * item carries its own key made once on the phone: the `Idempotency-Key` of a case, the
 * `client_key` of a visit, patrol or hazard; an act (verify/check) carries the case version it
 * was made against. So an item sent twice (the answer was lost, the page reloaded) is recorded
 * once. A 4xx answer is final: the item stays in the list, marked, with the server's message. */
(function () {
  "use strict";
  const root = document.getElementById("field");
  if (!root || !window.idbKeyval) return;
  const idb = window.idbKeyval;
  const store = idb.createStore("gridgov-field-" + root.dataset.user, "kv");
  const $ = (id) => document.getElementById(id);
  const OUTBOX = "ob:";
  const MAX_BACKOFF_MS = 60000;

  // --- small helpers -------------------------------------------------------------------
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleString("zh-CN", { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }
  function fmtDuration(s) {
    const m = Math.floor(s / 60);
    return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}`;
  }
  class HttpError extends Error {
    constructor(status, body) {
      super((body && (body.message || body.detail)) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }
  // One request at a time: a phone's link is narrow anyway, and the server's session row is
  // written on every request, which concurrent requests of one user would only fight over.
  let chain = Promise.resolve();
  function serial(fn) {
    const p = chain.then(fn);
    chain = p.catch(() => {});
    return p;
  }
  // Resolves once no request of the page is under way (tests wait on it before closing the phone).
  root.whenIdle = () => chain.then(() => true);
  function api(method, url, body, headers) {
    return serial(() => send(method, url, body, headers));
  }
  async function send(method, url, body, headers) {
    const h = Object.assign({ Accept: "application/json", "X-CSRFToken": csrf() }, headers || {});
    let payload = body;
    if (body && !(body instanceof FormData)) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const r = await fetch(url, { method, credentials: "same-origin", headers: h, body: payload });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text.slice(0, 200) }; }
    if (!r.ok) throw new HttpError(r.status, data);
    return data;
  }
  // Reads that the app also keeps for the next visit with no signal.
  async function cachedGet(name, url) {
    try {
      const data = await api("GET", url);
      await idb.set("cache:" + name, { at: new Date().toISOString(), data }, store);
      return { data, fresh: true };
    } catch (err) {
      const kept = await idb.get("cache:" + name, store);
      if (kept) return { data: kept.data, fresh: false, at: kept.at };
      throw err;
    }
  }
  let position = null; // {lon, lat, accuracy}
  function locate() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => { position = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy }; resolve(position); },
        () => resolve(position),
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 30000 },
      );
    });
  }

  // --- the outbox ----------------------------------------------------------------------
  async function outboxItems() {
    const keys = (await idb.keys(store)).filter((k) => typeof k === "string" && k.startsWith(OUTBOX)).sort();
    const items = await Promise.all(keys.map((k) => idb.get(k, store)));
    return items.filter(Boolean);
  }
  async function enqueue(kind, label, payload, files) {
    // The time prefix keeps the outbox in the order things happened (a patrol's start before its points).
    const id = `${OUTBOX}${Date.now().toString(36).padStart(10, "0")}-${uuid()}`;
    const item = { id, key: uuid(), kind, label, payload, files: files || [], attempts: 0, next_at: 0,
      state: "waiting", error: "", created_at: new Date().toISOString(), uploaded: null };
    await idb.set(id, item, store);
    await renderOutbox();
    flush();
    return item;
  }
  async function upload(item) {
    // Photos first; their ids are kept on the item so a resend does not upload them again (the
    // case's idempotency fingerprint includes the attachment ids).
    if (item.uploaded) return item.uploaded;
    const ids = [];
    for (const f of item.files) {
      const fd = new FormData();
      fd.append("file", f.blob, f.name);
      ids.push((await api("POST", "/api/v1/cases/attachments", fd)).id);
    }
    item.uploaded = ids;
    await idb.set(item.id, item, store);
    return ids;
  }
  function form(fields, file) {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) if (v !== null && v !== undefined && v !== "") fd.append(k, v);
    if (file) fd.append("photo", file.blob, file.name);
    return fd;
  }
  const senders = {
    async case(item) {
      const ids = await upload(item);
      return api("POST", "/api/v1/cases", Object.assign({}, item.payload, { attachment_ids: ids }), { "Idempotency-Key": item.key });
    },
    async act(item) {
      const ids = await upload(item);
      const p = item.payload;
      try {
        return await api("POST", `/api/v1/cases/${encodeURIComponent(p.number)}/actions/${p.action}`,
          Object.assign({}, p.body, { attachment_ids: ids, expected_version: p.version }));
      } catch (err) {
        // Sent before and the answer was lost: the case has moved on from the version this
        // act was made against, so the act is not applied twice. Say so rather than fail.
        if (err.status === 409 && item.attempts > 0) return { already: true };
        throw err;
      }
    },
    kp_visit(item) {
      return api("POST", "/api/v1/registry/visits", form(Object.assign({ client_key: item.key }, item.payload), item.files[0]));
    },
    hh_visit(item) {
      return api("POST", "/api/v1/field/household-visits", form(Object.assign({ client_key: item.key }, item.payload), item.files[0]));
    },
    patrol_start(item) { return api("POST", "/api/v1/field/patrols", item.payload); },
    patrol_points(item) {
      return api("POST", `/api/v1/field/patrols/${item.payload.patrol}/points`, { points: item.payload.points });
    },
    patrol_stop(item) {
      return api("POST", `/api/v1/field/patrols/${item.payload.patrol}/stop`, { ended_at: item.payload.ended_at });
    },
    hazard(item) {
      const p = Object.assign({}, item.payload);
      const patrol = p.patrol;
      delete p.patrol;
      return api("POST", `/api/v1/field/patrols/${patrol}/hazards`, Object.assign({ client_key: item.key }, p));
    },
  };
  function retryable(err) {
    // No answer at all, a server error, or a session/CSRF problem the next attempt may not have.
    return !(err instanceof HttpError) || err.status >= 500 || err.status === 408 || err.status === 429 || err.status === 401;
  }
  let flushing = null;
  function flush(force) {
    if (!flushing) flushing = doFlush(force).finally(() => { flushing = null; });
    return flushing;
  }
  async function doFlush(force) {
    if (!navigator.onLine) { setSync("离线:内容已保存在本机,联网后自动发送"); return; }
    let sent = 0;
    for (const item of await outboxItems()) {
      if (item.state === "failed") continue;
      if (!force && item.next_at > Date.now()) break; // keep the order: later items wait too
      try {
        const result = await senders[item.kind](item);
        await idb.del(item.id, store);
        sent += 1;
        onSent(item, result);
      } catch (err) {
        item.attempts += 1;
        if (retryable(err)) {
          item.next_at = Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(item.attempts, 6));
          item.error = err instanceof HttpError ? err.message : "网络不可用,稍后重试";
          await idb.set(item.id, item, store);
          break;
        }
        item.state = "failed";
        item.error = err.message;
        await idb.set(item.id, item, store);
      }
    }
    await renderOutbox();
    if (sent) { setSync(`已发送 ${sent} 项`); refreshReads(); }
  }
  function onSent(item, result) {
    if (item.kind === "case" && result && result.number) {
      const done = $("report-done");
      done.textContent = `已登记,事件编号 ${result.number}`;
      done.hidden = false;
    }
  }
  function setSync(text) { $("sync-state").textContent = text; }
  const KIND_LABEL = { case: "事件上报", act: "核实/核查", kp_visit: "重点人员走访", hh_visit: "入户走访",
    patrol_start: "开始巡查", patrol_points: "巡查轨迹", patrol_stop: "结束巡查", hazard: "隐患" };
  async function renderOutbox() {
    const items = await outboxItems();
    const badge = $("outbox-count");
    badge.textContent = String(items.length);
    badge.dataset.count = String(items.length);
    badge.hidden = items.length === 0;
    const list = $("outbox-list");
    list.replaceChildren();
    if (!items.length) { list.append(el("li", { class: "empty" }, "没有待发送的内容")); return; }
    for (const item of items) {
      const state = item.state === "failed" ? "发送失败(不再重试)" : item.attempts ? `等待重试(已尝试 ${item.attempts} 次)` : "等待发送";
      const li = el("li", { class: item.state, "data-kind": item.kind, "data-key": item.key },
        el("strong", {}, KIND_LABEL[item.kind] || item.kind), " ", item.label || "",
        el("div", { class: "small muted" }, `${fmtTime(item.created_at)} · ${state}`),
        item.error ? el("div", { class: "small error" }, item.error) : null);
      if (item.state === "failed") {
        li.append(el("div", { class: "actions" },
          el("button", { type: "button", class: "btn ghost", onclick: async () => {
            item.state = "waiting"; item.next_at = 0; item.error = ""; await idb.set(item.id, item, store); flush(true);
          } }, "重新发送"),
          el("button", { type: "button", class: "btn ghost", onclick: async () => {
            if (confirm("删除后此项不会再发送,确定?")) { await idb.del(item.id, store); renderOutbox(); }
          } }, "删除")));
      }
      list.append(li);
    }
  }
  function setNet() {
    const on = navigator.onLine;
    const s = $("net-state");
    s.textContent = on ? "在线" : "离线";
    s.className = "net " + (on ? "online" : "offline");
  }
  window.addEventListener("online", () => { setNet(); flush(true); });
  window.addEventListener("offline", setNet);
  setInterval(() => flush(false), 5000);
  $("outbox-send").addEventListener("click", () => flush(true));

  // --- tabs ----------------------------------------------------------------------------
  const tabs = document.querySelectorAll(".tabs [role=tab]");
  function show(name) {
    tabs.forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
    document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== "tab-" + name; });
    if (name === "tasks" && gridMap) setTimeout(() => gridMap.invalidateSize(), 0);
    if (name === "log") loadLog();
    if (name === "report" || name === "visit") locate().then(showPosition);
  }
  tabs.forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));

  // --- who I am, my grids ----------------------------------------------------------------
  let me = null, gridMap = null;
  async function loadMe() {
    const { data } = await cachedGet("me", "/api/v1/field/me");
    me = data;
    for (const id of ["hh-grid", "patrol-grid"]) {
      const sel = $(id);
      sel.replaceChildren(...me.grids.map((g) => el("option", { value: g.code }, `${g.name}(${g.community})`)));
    }
    $("patrol-police").replaceChildren(el("option", { value: "" }, "无(单独巡查)"),
      ...me.police.map((p) => el("option", { value: String(p.id) }, p.name)));
    $("grid-names").textContent = me.grids.length ? "我的网格:" + me.grids.map((g) => g.name).join("、") : "尚未分配网格";
    drawMap();
  }
  function drawMap() {
    const box = $("grid-map");
    if (!window.L || !me || gridMap) return;
    gridMap = L.map(box, { zoomSnap: 0.25, attributionControl: !!root.dataset.tileUrl });
    if (root.dataset.tileUrl) L.tileLayer(root.dataset.tileUrl, { attribution: root.dataset.tileAttribution || "", maxZoom: 19 }).addTo(gridMap);
    const layer = L.geoJSON({ type: "FeatureCollection", features: me.grids.map((g) => ({ type: "Feature", geometry: g.boundary, properties: { name: g.name } })) },
      { style: { color: "#1d3557", weight: 2, fillColor: "#4e79a7", fillOpacity: 0.15 } }).addTo(gridMap);
    const b = layer.getBounds();
    if (b.isValid()) gridMap.fitBounds(b, { padding: [8, 8] }); else gridMap.setView([36.06, 103.83], 10);
    if (position) L.circleMarker([position.lat, position.lon], { radius: 7, color: "#e63946" }).addTo(gridMap);
    box.classList.add("ready");
  }

  // --- my tasks ------------------------------------------------------------------------
  let tasks = null;
  async function loadTasks() {
    const got = await cachedGet("tasks", "/api/v1/field/tasks");
    tasks = got.data;
    $("tasks-as-of").textContent = got.fresh ? "" : `离线,显示 ${fmtTime(got.at)} 的任务`;
    const caseItem = (c, action) => el("li", { "data-number": c.number },
      el("strong", {}, c.number), " ", c.title,
      el("div", { class: "small muted" }, `${c.category} · ${c.address || ""}`),
      el("div", { class: "actions" }, ...(action === "verify"
        ? [el("button", { type: "button", class: "btn", onclick: () => openAct(c, "verify") }, "核实")]
        : [el("button", { type: "button", class: "btn", onclick: () => openAct(c, "check") }, "核查")])));
    const fill = (id, rows, render, empty) => {
      const ul = $(id);
      ul.replaceChildren(...(rows.length ? rows.map(render) : [el("li", { class: "empty" }, empty)]));
    };
    fill("verify-list", tasks.verify, (c) => caseItem(c, "verify"), "没有待核实的事件");
    fill("check-list", tasks.check, (c) => caseItem(c, "check"), "没有待核查的事件");
    const people = [...tasks.visits_overdue.map((p) => Object.assign({ overdue: true }, p)), ...tasks.visits_due];
    fill("visit-list", people, (p) => el("li", { "data-key-person": p.id },
      el("strong", {}, p.name), ` ${p.category} · ${p.risk_label}`,
      el("div", { class: p.overdue ? "small overdue" : "small muted" }, `${p.overdue ? "已逾期" : "应访"}:${p.next_visit_due}`),
      el("div", { class: "actions" }, el("button", { type: "button", class: "btn", onclick: () => startVisit(p.id) }, "走访"))),
      "近期没有应访的重点人员");
    const kp = $("kp-person");
    kp.replaceChildren(el("option", { value: "" }, "请选择"),
      ...people.map((p) => el("option", { value: String(p.id) }, `${p.name}(${p.category}${p.overdue ? ",已逾期" : ""})`)));
    fill("open-patrol-list", tasks.patrols_open, patrolItem, "没有进行中的巡查");
    fill("plan-list", tasks.plans || [], planItem, "今天没有巡查计划");
    renderCompliance(tasks.compliance);
  }
  const hhmm = (iso) => iso.slice(11, 16);
  function planItem(p) {
    const stateClass = p.state === "overdue" ? "small overdue" : "small muted";
    const joint = p.joint ? ` · 联勤(${p.police || "社区民警"})` : " · 单人巡查";
    const actions = p.state === "done" ? [] : [el("button", { type: "button", class: "btn", "data-plan-start": String(p.id),
      onclick: async (ev) => {
        if (patrol) { show("patrol"); return; }
        ev.target.disabled = true;
        await beginPatrol(p.grid, p.police_id ? String(p.police_id) : "", `${p.grid_name}${p.joint ? " · 联勤" : ""} · 计划`);
        // Shown done at once; the server links the patrol to the plan when the outbox is sent.
        const li = ev.target.closest("li");
        li.dataset.state = "done";
        li.querySelector("[data-state-label]").textContent = "已完成";
        ev.target.remove();
        show("patrol");
      } }, "开始巡查")];
    return el("li", { "data-plan": String(p.id), "data-state": p.state },
      el("strong", {}, `${hhmm(p.window_start)}–${hhmm(p.window_end)}`), ` ${p.grid_name}${joint}`,
      el("div", { class: stateClass }, el("span", { "data-state-label": "" }, p.state_label)),
      el("div", { class: "actions" }, ...actions));
  }
  function renderCompliance(c) {
    const box = $("compliance");
    box.className = "card compliance " + (c.compliant ? "ok-state" : "bad-state");
    box.textContent = `警网联勤:今日 ${c.qualifying}/${c.required} 次达标(每次不少于 ${c.min_minutes} 分钟)` + (c.compliant ? " · 已达标" : " · 未达标");
    box.dataset.compliant = String(c.compliant);
  }
  function patrolItem(p) {
    return el("li", { "data-patrol": p.client_key },
      el("strong", {}, p.grid_name), p.joint ? ` · 联勤(${p.police})` : "",
      el("div", { class: "small muted" }, `${fmtTime(p.started_at)} · ${p.status_label} · ${fmtDuration(p.duration_s)} · ${(p.distance_m / 1000).toFixed(2)} 公里 · ${p.point_count} 点`));
  }

  // --- verify / check ------------------------------------------------------------------
  let acting = null;
  function openAct(c, action) {
    acting = { c, action };
    $("act-title").textContent = `${action === "verify" ? "核实" : "核查"} ${c.number}`;
    $("act-passed").hidden = action !== "check";
    $("act-form").reset();
    $("act-form").querySelector(".error").hidden = true;
    $("act-dialog").showModal();
  }
  $("act-cancel").addEventListener("click", () => $("act-dialog").close());
  $("act-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const { c, action } = acting;
    const note = $("act-note").value.trim();
    const body = { note };
    if (action === "check") {
      body.passed = $("act-form").querySelector("input[name=passed]:checked").value === "true";
      if (!body.passed) {
        if (!note) { const e = $("act-form").querySelector(".error"); e.textContent = "核查不通过须说明原因"; e.hidden = false; return; }
        body.reason = note;
      }
    }
    const files = await photos($("act-photos"));
    await enqueue("act", `${c.number} ${action === "verify" ? "核实" : "核查"}`, { number: c.number, action, version: c.version, body }, files);
    $("act-dialog").close();
    // The task leaves the list at once; the server has the last word when the outbox is sent.
    document.querySelectorAll(`li[data-number="${c.number}"]`).forEach((li) => li.remove());
  });
  async function photos(input) {
    // Kept as Blobs in IndexedDB: a photo taken with no signal is sent with its item later.
    return Array.from(input.files || []).map((f) => ({ blob: f, name: f.name || "photo.jpg" }));
  }

  // --- report a case -------------------------------------------------------------------
  async function loadCategories() {
    const { data } = await cachedGet("categories", "/api/v1/cases/categories");
    const sel = $("report-category");
    const opts = [el("option", { value: "" }, "请选择")];
    for (const c of data) {
      if (c.children.length) opts.push(el("optgroup", { label: c.name }, ...c.children.map((k) => el("option", { value: k.code }, k.name))));
      else opts.push(el("option", { value: c.code }, c.name));
    }
    sel.replaceChildren(...opts);
  }
  function inRing(x, y, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inGeometry(x, y, g) {
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    return polygons.some((rings) => inRing(x, y, rings[0]) && !rings.slice(1).some((hole) => inRing(x, y, hole)));
  }
  function localAddress() {
    // The worker's own grids are on the phone: no signal needed to name where it stands.
    if (!position || !me) return "";
    const g = me.grids.find((x) => x.boundary && inGeometry(position.lon, position.lat, x.boundary));
    return g ? (g.name.startsWith(g.community) ? g.name : `${g.community}${g.name}`) : "";
  }
  async function showPosition() {
    const text = position ? `位置:${position.lon.toFixed(5)}, ${position.lat.toFixed(5)}(±${Math.round(position.accuracy || 0)} 米)` : "未取得位置(可手填地址)";
    $("report-position").textContent = text;
    document.querySelectorAll("[data-position]").forEach((p) => { p.textContent = text; });
    const address = $("report-address");
    if (!address.value) address.value = localAddress();
    if (position && !address.value && navigator.onLine) {
      try {
        const r = await api("GET", `/api/v1/geo/locate?lon=${position.lon}&lat=${position.lat}`);
        if (r.inside && !address.value) {
          const community = r.regions.length ? r.regions[r.regions.length - 1].name : "";
          address.value = `${community}${r.grid.name}`;
        }
      } catch (err) { /* the address stays for the worker to type */ }
    }
  }
  function formError(formEl, text) {
    const e = formEl.querySelector(".error");
    e.textContent = text;
    e.hidden = !text;
  }
  $("report-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const category = $("report-category").value, text = $("report-text").value.trim();
    if (!category) return formError(f, "请选择事项分类");
    if (!text) return formError(f, "请填写情况描述");
    formError(f, "");
    const catName = $("report-category").selectedOptions[0].textContent;
    if (!$("report-address").value) $("report-address").value = localAddress();
    const payload = { channel: "grid_worker", category, title: text.slice(0, 40), description: text,
      urgency: $("report-urgency").value, address: $("report-address").value.trim() };
    if (position) payload.location = { lon: position.lon, lat: position.lat, crs: "wgs84" };
    const files = await photos($("report-photos"));
    await enqueue("case", `${catName}:${payload.title}`, payload, files);
    f.reset();
    const done = $("report-done");
    done.textContent = navigator.onLine ? "已提交,正在发送…" : "已保存在本机,联网后自动发送";
    done.hidden = false;
  });

  // --- visits --------------------------------------------------------------------------
  document.querySelectorAll(".seg-btn").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll(".seg-btn").forEach((x) => x.classList.toggle("active", x === b));
    $("kp-form").hidden = b.dataset.visit !== "kp";
    $("hh-form").hidden = b.dataset.visit !== "hh";
  }));
  function startVisit(id) {
    show("visit");
    $("kp-person").value = String(id);
    $("kp-findings").focus();
  }
  function okText(formEl, text) {
    const ok = formEl.querySelector(".ok");
    ok.textContent = text;
    ok.hidden = false;
  }
  $("kp-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const person = $("kp-person").value, findings = $("kp-findings").value.trim();
    if (!person) return formError(f, "请选择走访对象");
    if (!findings) return formError(f, "请填写走访情况");
    formError(f, "");
    await locate();
    const payload = { key_person_id: person, findings, visited_at: new Date().toISOString(), status_after: $("kp-status").value };
    if (position) Object.assign(payload, { lon: position.lon, lat: position.lat });
    const files = await photos($("kp-photo"));
    await enqueue("kp_visit", $("kp-person").selectedOptions[0].textContent, payload, files.slice(0, 1));
    f.reset();
    okText(f, "已签到保存" + (navigator.onLine ? "" : ",联网后自动发送"));
  });
  $("hh-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const household = $("hh-household").value.trim(), notes = $("hh-notes").value.trim();
    if (!household) return formError(f, "请填写户(门牌或户号)");
    if (!notes) return formError(f, "请填写走访情况");
    formError(f, "");
    await locate();
    const payload = { grid: $("hh-grid").value, household, notes, visited_at: new Date().toISOString() };
    if (position) Object.assign(payload, { lon: position.lon, lat: position.lat });
    const files = await photos($("hh-photo"));
    await enqueue("hh_visit", household, payload, files.slice(0, 1));
    f.reset();
    okText(f, "已签到保存" + (navigator.onLine ? "" : ",联网后自动发送"));
  });

  // --- patrols -------------------------------------------------------------------------
  // The active patrol and its unsent points live in IndexedDB too: a reload or a dead battery
  // loses at most the last fix.
  const BATCH_POINTS = 20, BATCH_MS = 30000;
  let patrol = null, watchId = null, batchTimer = null, tick = null;
  async function savePatrol() { await idb.set("patrol:active", patrol, store); }
  function addPoint(p) {
    if (!patrol) return;
    const at = new Date(p.timestamp || Date.now()).toISOString();
    const last = patrol.buffer[patrol.buffer.length - 1];
    if (last && last.at === at) return;
    patrol.buffer.push({ at, lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy || null });
    patrol.count += 1;
    $("patrol-points").textContent = String(patrol.count);
    savePatrol();
    if (patrol.buffer.length >= BATCH_POINTS) sendBatch();
  }
  async function sendBatch() {
    if (!patrol || !patrol.buffer.length) return;
    const points = patrol.buffer.splice(0);
    await savePatrol();
    await enqueue("patrol_points", `${points.length} 个轨迹点`, { patrol: patrol.key, points });
  }
  function track() {
    if (navigator.geolocation && watchId === null) {
      watchId = navigator.geolocation.watchPosition(addPoint, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
    }
    batchTimer = setInterval(sendBatch, BATCH_MS);
    tick = setInterval(() => { $("patrol-elapsed").textContent = fmtDuration((Date.now() - Date.parse(patrol.started_at)) / 1000); }, 1000);
    $("patrol-start").hidden = true;
    $("patrol-active").hidden = false;
    $("patrol-points").textContent = String(patrol.count);
  }
  async function beginPatrol(grid, police, label) {
    const key = uuid();
    patrol = { key, started_at: new Date().toISOString(), buffer: [], count: 0 };
    await savePatrol();
    await enqueue("patrol_start", label,
      { client_key: key, grid, started_at: patrol.started_at, police_id: police ? Number(police) : null });
    track();
    locate().then((p) => { if (p) addPoint({ timestamp: Date.now(), coords: { longitude: p.lon, latitude: p.lat, accuracy: p.accuracy } }); });
  }
  $("patrol-start").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const grid = $("patrol-grid").value;
    if (!grid) return;
    const police = $("patrol-police").value;
    await beginPatrol(grid, police, $("patrol-grid").selectedOptions[0].textContent + (police ? " · 联勤" : ""));
  });
  $("patrol-stop-btn").addEventListener("click", async () => {
    if (!patrol) return;
    await sendBatch();
    await enqueue("patrol_stop", "", { patrol: patrol.key, ended_at: new Date().toISOString() });
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    clearInterval(batchTimer); clearInterval(tick);
    patrol = null;
    await idb.del("patrol:active", store);
    $("patrol-start").hidden = false;
    $("patrol-active").hidden = true;
  });
  $("hazard-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const title = $("hazard-title").value.trim();
    if (!title || !patrol) return;
    const payload = { patrol: patrol.key, title, found_at: new Date().toISOString() };
    if (position) Object.assign(payload, { lon: position.lon, lat: position.lat });
    await enqueue("hazard", title, payload);
    ev.target.reset();
  });
  async function loadPatrols() {
    const { data } = await cachedGet("patrols", "/api/v1/field/patrols");
    const ul = $("patrol-list");
    ul.replaceChildren(...(data.items.length ? data.items.map(patrolItem) : [el("li", { class: "empty" }, "今天还没有巡查")]));
    renderCompliance(data.compliance);
  }

  // --- daily log and weekly summary ----------------------------------------------------
  const COUNT_LABELS = [["cases_reported", "上报事件"], ["cases_verified", "核实事件"], ["cases_checked", "核查事件"],
    ["key_person_visits", "重点人员走访"], ["household_visits", "入户走访"], ["patrols", "巡查次数"],
    ["joint_patrols", "联勤巡查"], ["patrol_minutes", "巡查时长(分钟)"], ["distance_km", "巡查里程(公里)"]];
  async function loadLog() {
    try {
      const { data: day } = await cachedGet("daily", "/api/v1/field/daily");
      $("daily-log").replaceChildren(...COUNT_LABELS.flatMap(([k, label]) => [el("dt", {}, label), el("dd", { "data-count": k }, String(day.counts[k]))]));
      const { data: week } = await cachedGet("weekly", "/api/v1/field/weekly");
      const head = el("tr", {}, el("th", {}, "日期"), ...COUNT_LABELS.map(([, l]) => el("th", {}, l)), el("th", {}, "联勤达标"));
      const rows = week.days.map((d) => el("tr", {}, el("td", {}, d.day.slice(5)),
        ...COUNT_LABELS.map(([k]) => el("td", {}, String(d.counts[k]))), el("td", {}, d.compliance.compliant ? "是" : "否")));
      const total = el("tr", {}, el("th", {}, "合计"), ...COUNT_LABELS.map(([k]) => el("th", {}, String(week.counts[k]))), el("th", {}, ""));
      $("weekly-table").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows, total));
      if (me && me.role !== "grid_worker") {
        // A grid head sees the joint-patrol compliance of each worker of its community.
        const team = await api("GET", "/api/v1/field/compliance");
        $("team-table").replaceChildren(
          el("thead", {}, el("tr", {}, el("th", {}, "网格员"), el("th", {}, "联勤(达标/要求)"), el("th", {}, "达标"))),
          el("tbody", {}, ...team.items.map((r) => el("tr", { "data-worker": r.worker }, el("td", {}, r.name),
            el("td", {}, `${r.qualifying}/${r.required}`), el("td", {}, r.compliant ? "是" : "否")))));
        $("team").hidden = false;
      }
    } catch (err) { setSync("日志暂不可用"); }
  }

  function refreshReads() {
    loadTasks().catch(() => {});
    loadPatrols().catch(() => {});
  }

  // --- start ---------------------------------------------------------------------------
  async function start() {
    setNet();
    await renderOutbox();
    const kept = await idb.get("patrol:active", store);
    if (kept) { patrol = kept; track(); }
    await loadMe().catch(() => setSync("离线且本机没有保存的资料"));
    await loadCategories().catch(() => {});
    await loadTasks().catch(() => {});
    await loadPatrols().catch(() => {});
    locate().then(() => { showPosition(); if (gridMap && position) L.circleMarker([position.lat, position.lon], { radius: 7, color: "#e63946" }).addTo(gridMap); });
    root.classList.add("ready");
    await flush(true);
    await registerWorker();
  }
  start();

  // --- installable: the service worker caches the shell and its static files ------------
  function registerWorker() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    return serial(() => navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }))
      .then(() => {
        if (!("caches" in window)) return null;
        const assets = JSON.parse(document.getElementById("shell-assets").textContent);
        return serial(() => caches.open("gridgov-field-shell-v1").then((c) => c.addAll([root.dataset.scope, ...assets])));
      })
      .catch(() => {});
  }
})();
