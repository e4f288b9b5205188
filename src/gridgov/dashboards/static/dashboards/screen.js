// The big screen. Every panel polls its own JSON and redraws only when the answer changed;
// a drill-down (a click on the map, on a region's bar, or on the breadcrumb) changes the URL
// with history.pushState and reloads the panels, never the page. Figures come from the stats
// API (/api/v1/stats), the map, feed, hot topics and trend from /api/v1/dashboards.
(function () {
  "use strict";
  const root = document.getElementById("screen");
  if (!root || !window.L || !window.echarts) return;

  const API = root.dataset.api;
  const META = JSON.parse(document.getElementById("screen-indicators").textContent);
  const SETTINGS = JSON.parse(document.getElementById("screen-settings").textContent);
  const meta = Object.fromEntries(META.map((m) => [m.name, m]));
  const COLOURS = { green: "#37d67a", yellow: "#ffd25e", red: "#ff4d4d" };
  const state = {
    code: root.dataset.code, place: null, statsRegion: null, children: [], chain: [],
    gen: 0, last: {}, timers: {}, failing: new Set(), loadMetric: "open", lastFeedId: null,
  };

  // --- fetching ------------------------------------------------------------------------------
  // One request at a time: a wall screen is never in a hurry, a small server (sync workers, or
  // SQLite, where every request also saves the session) is spared bursts, and the panels
  // still fill within a second.
  let queue = Promise.resolve();
  function get(path, params) {
    const next = queue.then(() => fetchJson(path, params));
    queue = next.catch(() => undefined);
    return next;
  }
  async function fetchJson(path, params) {
    const url = new URL(API + path, window.location.origin);
    Object.entries(params || {}).forEach(([k, v]) => { if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v); });
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (err) {
      const e = new Error("网络中断 / network error"); e.offline = true; throw e;
    }
    if (!response.ok) {
      let message = `${response.status}`;
      try { const body = await response.json(); message = body.message || `${body.message_zh} / ${body.message_en}`; } catch (_) { /* not JSON */ }
      const e = new Error(message); e.status = response.status; e.offline = response.status >= 500 || response.status === 0; throw e;
    }
    return response.json();
  }

  const banner = document.getElementById("offline");
  function report(task, err) {
    if (err) state.failing.add(task); else state.failing.delete(task);
    if (state.failing.size === 0) { banner.hidden = true; return; }
    banner.hidden = false;
    banner.textContent = err && !err.offline && err.status
      ? `${err.message}`
      : "连接中断,正在重试… / connection lost, retrying…";
  }

  function changed(key, data) {
    const text = JSON.stringify(data);
    if (state.last[key] === text) return false;
    state.last[key] = text;
    return true;
  }

  const stamp = document.getElementById("stamp");
  function setClock(clock) {
    state.clock = clock;
    stamp.textContent = `更新于 ${clock.time}`;
    root.dataset.updated = clock.now;
  }

  // --- formatting ----------------------------------------------------------------------------
  function fmt(value, unit) {
    if (value === null || value === undefined) return "—";
    if (unit === "%") return `${value.toFixed(1)}%`;
    if (unit === "小时") return value.toFixed(1);
    return String(Math.round(value));
  }
  function momText(mom, name) {
    if (mom === null || mom === undefined) return { text: "", cls: "flat" };
    const pct = Math.abs(mom * 100).toFixed(1);
    if (mom === 0) return { text: "→0.0%", cls: "flat" };
    const up = mom > 0;
    const good = up === !!(meta[name] && meta[name].higher_is_better);
    return { text: `${up ? "↑" : "↓"}${pct}%`, cls: good ? "good" : "bad" };
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  const pageUrl = (code) => root.dataset.pageUrl.replace("__code__", encodeURIComponent(code));
  const caseUrl = (number) => root.dataset.caseUrl.replace("__number__", encodeURIComponent(number));

  // --- charts --------------------------------------------------------------------------------
  const charts = {};
  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), "dark", { renderer: "canvas" });
    }
    return charts[id];
  }
  const BASE = { backgroundColor: "transparent", textStyle: { fontFamily: "Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif" } };
  const PALETTE = ["#2bc4ff", "#37d67a", "#ffd25e", "#ff8a5e", "#b18cff", "#5ee0d2", "#ff6fb5", "#8fb3ff", "#d6e06b", "#ff4d4d"];

  // --- the place and the breadcrumb ------------------------------------------------------------
  async function loadPlace(gen) {
    const body = await get("dashboards/place", { region: state.code });
    if (gen !== state.gen) return;
    state.place = body.place; state.statsRegion = body.stats_region; state.children = body.children; state.chain = body.chain;
    const crumbs = document.getElementById("crumbs");
    crumbs.innerHTML = body.chain.map((p, i) => {
      const current = i === body.chain.length - 1 ? ' aria-current="page"' : "";
      return `${i ? '<span class="sep">›</span>' : ""}<a href="${pageUrl(p.code)}" data-code="${esc(p.code)}"${current}>${esc(p.name)}<small> ${esc(p.level_label)}</small></a>`;
    }).join("");
    document.getElementById("title-place").textContent = body.place.name;
    document.title = `${body.place.name} · 指挥大屏`;
    const note = body.place.level === "grid" ? `(所属社区 ${body.stats_region.name})` : "";
    ["figures-note"].forEach((id) => { document.getElementById(id).textContent = note ? `网格数字取自${body.stats_region.name}按网格分组` : ""; });
    root.dataset.level = body.place.level;
    root.dataset.statsRegion = body.stats_region.code;
    ["panel-source", "panel-departments", "panel-trend", "panel-regions"].forEach((id) => {
      const small = document.querySelector(`#${id} h2 small`);
      if (!small.dataset.base) small.dataset.base = small.textContent;
      small.textContent = small.dataset.base + note;
    });
  }
  document.getElementById("crumbs").addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-code]");
    if (!a) return;
    ev.preventDefault();
    go(a.dataset.code);
  });

  // --- figures, source, regions, departments (the stats API) ---------------------------------------
  function period(which) {
    const c = state.clock;
    return which === "today" ? { start: c.today, end: c.today } : { start: c.month_start, end: c.month_end };
  }
  async function indicatorsFor(which, names) {
    const region = state.statsRegion.code;
    if (state.place.level === "grid") {
      // A grid's own figures: its row in its community's breakdown by region.
      const body = await get("stats/breakdown", { by: "region", region, names: names.join(","), ...period(which) });
      const row = body.rows.find((r) => r.key === state.place.code);
      return row ? row.indicators : {};
    }
    const body = await get("stats/indicators", { region, names: names.join(","), ...period(which) });
    return body.indicators;
  }

  function drawFigures(today, month) {
    const cells = root.querySelectorAll("#figures td[data-indicator]");
    cells.forEach((td) => {
      const name = td.dataset.indicator;
      const v = (td.dataset.period === "today" ? today : month)[name];
      const unit = meta[name].unit;
      const value = v ? v.value : null;
      td.dataset.value = value === null ? "" : String(value);
      td.querySelector(".value").textContent = fmt(value, unit);
      const m = momText(v ? v.mom : null, name);
      const span = td.querySelector(".mom");
      span.textContent = m.text; span.className = `mom ${m.cls}`;
      span.title = m.text ? "环比 / month on month" : "";
    });
  }

  function drawSource(rows) {
    const data = rows
      .map((r) => ({ name: r.label, value: r.indicators.intake.value || 0, key: r.key }))
      .filter((d) => d.value > 0)
      .sort((a, b) => b.value - a.value);
    chart("chart-source").setOption({
      ...BASE, color: PALETTE,
      title: data.length ? undefined : { text: "本月暂无受理", left: "center", top: "middle", textStyle: { color: "#6f95c4", fontSize: 14 } },
      tooltip: { trigger: "item", formatter: "{b}:{c} 件({d}%)" },
      legend: { type: "scroll", orient: "vertical", right: 0, top: "middle", textStyle: { color: "#a9c8ee", fontSize: 12 } },
      series: [{ type: "pie", radius: ["38%", "68%"], center: ["34%", "52%"], label: { show: false }, data }],
    }, true);
  }

  function codeForKey(key) {
    const child = state.children.find((c) => c.prefix === key || c.code === key);
    return child ? child.code : null;
  }

  function drawRegions(rows) {
    const el = document.getElementById("chart-regions");
    if (state.place.level === "grid") {
      chart("chart-regions").setOption({ ...BASE, title: { text: "已到最小单元(网格)", left: "center", top: "middle", textStyle: { color: "#6f95c4", fontSize: 14 } }, series: [] }, true);
      el.dataset.bars = "0";
      return;
    }
    const names = rows.map((r) => r.label);
    const series = [["intake", "受理"], ["in_progress", "在办"], ["overdue", "超期"]].map(([n, label], i) => ({
      name: label, type: "bar", barMaxWidth: 14,
      itemStyle: { color: ["#2bc4ff", "#ffd25e", "#ff4d4d"][i] },
      data: rows.map((r) => ({ value: r.indicators[n] ? r.indicators[n].value || 0 : 0, key: r.key })),
    }));
    chart("chart-regions").setOption({
      ...BASE,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, textStyle: { color: "#a9c8ee" } },
      grid: { left: 40, right: 10, top: 28, bottom: 56 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: names.length > 6 ? 35 : 0, interval: 0, fontSize: 11, color: "#a9c8ee", formatter: (s) => (s.length > 6 ? `${s.slice(0, 6)}…` : s) } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#12315e" } } },
      series,
    }, true);
    el.dataset.bars = String(rows.length);
    el.dataset.settled = "0";
    el.dataset.keys = JSON.stringify(rows.map((r) => codeForKey(r.key)));
  }
  // Set once the bars have stopped growing: a click during the entry animation may miss them.
  chart("chart-regions").on("finished", () => { document.getElementById("chart-regions").dataset.settled = "1"; });
  chart("chart-regions").on("click", (p) => {
    const code = p.data && codeForKey(p.data.key);
    if (code) go(code);
  });

  function drawRanking(rows) {
    const tbody = document.querySelector("#ranking tbody");
    const cols = SETTINGS.ranking.filter((n) => n !== "intake");
    const ranked = rows
      .filter((r) => r.key !== "0" && ((r.indicators.intake && r.indicators.intake.value) || (r.indicators.overdue && r.indicators.overdue.value)))
      .sort((a, b) => {
        for (const n of ["on_time_handling_rate", "closure_rate", "satisfaction_rate"]) {
          const x = a.indicators[n].value; const y = b.indicators[n].value;
          if (x === y) continue;
          if (x === null) return 1;
          if (y === null) return -1;
          return y - x;
        }
        return (a.indicators.overdue.value || 0) - (b.indicators.overdue.value || 0);
      });
    tbody.innerHTML = ranked.map((r, i) => `<tr data-key="${esc(r.key)}"><td class="${i < 3 ? "top" : ""}">${i + 1}</td><td title="${esc(r.label)}">${esc(r.label)}</td>${
      cols.map((n) => `<td data-indicator="${n}">${fmt(r.indicators[n].value, meta[n].unit)}</td>`).join("")}</tr>`).join("");
    document.getElementById("ranking-empty").hidden = ranked.length > 0;
  }

  async function figures(gen) {
    setClock(await get("dashboards/clock"));
    const names = SETTINGS.figures;
    const [today, month] = await Promise.all([indicatorsFor("today", names), indicatorsFor("month", names)]);
    if (gen !== state.gen) return;
    if (changed("figures", [today, month])) drawFigures(today, month);
    root.dataset.figuresAt = state.clock.now;

    const region = state.statsRegion.code;
    const month_ = period("month");
    const [byChannel, byDepartment, byRegion] = await Promise.all([
      get("stats/breakdown", { by: "channel", region, names: "intake", ...month_ }),
      get("stats/breakdown", { by: "department", region, names: SETTINGS.ranking.join(","), ...month_ }),
      state.place.level === "grid" ? Promise.resolve({ rows: [] })
        : get("stats/breakdown", { by: "region", region, names: "intake,in_progress,overdue", ...month_ }),
    ]);
    if (gen !== state.gen) return;
    if (changed("source", byChannel.rows)) drawSource(byChannel.rows);
    if (changed("departments", byDepartment.rows)) drawRanking(byDepartment.rows);
    if (changed("regions", byRegion.rows)) drawRegions(byRegion.rows);
  }

  // --- the trend -----------------------------------------------------------------------------------
  async function trend(gen) {
    const body = await get("dashboards/trend", { region: state.code });
    if (gen !== state.gen || !changed("trend", body)) return;
    chart("chart-trend").setOption({
      ...BASE, color: PALETTE,
      title: body.series.length ? undefined : { text: "近30天暂无受理", left: "center", top: "middle", textStyle: { color: "#6f95c4", fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: { color: "#a9c8ee" } },
      grid: { left: 40, right: 16, top: 30, bottom: 24 },
      xAxis: { type: "category", boundaryGap: false, data: body.days.map((d) => d.slice(5)), axisLabel: { color: "#a9c8ee" } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#12315e" } } },
      series: body.series.map((s) => ({ name: s.name, type: "line", smooth: false, symbol: "none", areaStyle: { opacity: 0.08 }, data: s.data })),
    }, true);
    document.getElementById("chart-trend").dataset.series = String(body.series.length);
  }

  // --- hot topics ------------------------------------------------------------------------------------
  function delta(now, before) {
    const d = now - before;
    if (d > 0) return `<span class="up">↑${d}</span>`;
    if (d < 0) return `<span class="down">↓${-d}</span>`;
    return '<span class="same">–</span>';
  }
  async function hot(gen) {
    const body = await get("dashboards/hot", { region: state.code });
    if (gen !== state.gen || !changed("hot", body)) return;
    document.getElementById("hot-words").innerHTML = body.words.length
      ? body.words.map((w) => `<li data-word="${esc(w.word)}"><span class="word">${esc(w.word)}</span><span>${w.count} ${delta(w.count, w.previous)}</span></li>`).join("")
      : '<li class="empty">本周暂无热词</li>';
    document.getElementById("hot-places").innerHTML = body.places.length
      ? body.places.map((p) => `<li data-code="${esc(p.code)}"><a href="${pageUrl(p.code)}" data-code="${esc(p.code)}">${esc(p.name)}</a><span>${p.count} ${delta(p.count, p.previous)}</span></li>`).join("")
      : '<li class="empty">本周暂无重复地点</li>';
  }
  document.getElementById("hot-places").addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-code]");
    if (!a) return;
    ev.preventDefault();
    go(a.dataset.code);
  });

  // --- the feed --------------------------------------------------------------------------------------
  function feedItem(item, fresh) {
    return `<li data-number="${esc(item.number)}" class="${fresh ? "fresh" : ""}"><span class="when">${esc(item.created_hm)}</span>`
      + `<a href="${esc(item.url)}" target="_blank" rel="noopener" title="${esc(item.number)} ${esc(item.category)}"><span class="dot ${esc(item.colour)}"></span>${esc(item.title)}</a>`
      + `<span class="where" title="${esc(item.channel_label)}">${esc(item.place || "")}</span></li>`;
  }
  async function feed(gen) {
    const body = await get("dashboards/feed", { region: state.code });
    if (gen !== state.gen) return;
    setClock(body.clock);
    if (!changed("feed", [body.new, body.red])) return;
    const seen = state.lastFeedId;
    document.getElementById("feed-new").innerHTML = body.new.length
      ? body.new.map((i) => feedItem(i, seen !== null && i.id > seen)).join("")
      : '<li class="empty">近7天暂无新件</li>';
    document.getElementById("feed-red").innerHTML = body.red.length
      ? body.red.map((i) => feedItem(i, false)).join("")
      : '<li class="empty">暂无红色预警事件</li>';
    state.lastFeedId = body.latest_id;
  }

  // --- the map -----------------------------------------------------------------------------------------
  const mapEl = document.getElementById("map");
  const map = L.map(mapEl, { zoomSnap: 0.25, preferCanvas: true, attributionControl: false, zoomControl: true });
  mapEl.leafletMap = map; // for the browser tests
  const layers = {
    outline: L.layerGroup().addTo(map),
    children: L.featureGroup().addTo(map),
    grids: L.featureGroup(),
    heat: L.layerGroup().addTo(map),
    points: L.layerGroup().addTo(map),
  };
  L.control.layers(null, {
    "下级区划(按负荷着色)": layers.children,
    "网格负荷": layers.grids,
    "热力(H3六边形,近7天)": layers.heat,
    "在办事件": layers.points,
  }, { collapsed: false, position: "topright" }).addTo(map);

  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "map-legend");
    div.innerHTML = '<label><input type="radio" name="load" value="open" checked> 按在办着色</label> '
      + '<label><input type="radio" name="load" value="overdue"> 按超期着色</label><br>'
      + `<i style="background:${COLOURS.green}"></i>绿 <i style="background:${COLOURS.yellow}"></i>黄 <i style="background:${COLOURS.red}"></i>红 `
      + '<i style="background:#ff9a3c;border-radius:0"></i>热力';
    L.DomEvent.disableClickPropagation(div);
    div.addEventListener("change", (ev) => { state.loadMetric = ev.target.value; restyle(); });
    return div;
  };
  legend.addTo(map);

  let loads = { children: {}, grids: {} };
  function ramp(t) {
    // dark blue (no load) → amber → red (the heaviest place in view)
    if (!(t > 0)) return "#143d6b";
    const stops = [[0, [43, 120, 200]], [0.5, [255, 176, 0]], [1, [255, 59, 59]]];
    let i = 0;
    while (i < stops.length - 2 && t > stops[i + 1][0]) i++;
    const [t0, c0] = stops[i]; const [t1, c1] = stops[i + 1];
    const f = Math.min(1, (t - t0) / (t1 - t0));
    return `rgb(${c0.map((c, k) => Math.round(c + (c1[k] - c) * f)).join(",")})`;
  }
  function restyleGroup(group, byCode) {
    const metric = state.loadMetric;
    const max = Math.max(0, ...Object.values(byCode).map((l) => l[metric] || 0));
    group.eachLayer((layer) => {
      const code = layer.feature.properties.code;
      const load = byCode[code] || { open: 0, overdue: 0 };
      layer.setStyle({ fillColor: ramp(max ? (load[metric] || 0) / max : 0), fillOpacity: 0.55, color: load.overdue ? "#ff6b6b" : "#2b8cff", weight: load.overdue ? 1.6 : 0.8 });
      layer.setTooltipContent(`${esc(layer.feature.properties.name)}<br>在办 ${load.open} · 超期 ${load.overdue}`);
    });
  }
  function restyle() {
    restyleGroup(layers.children, loads.children);
    restyleGroup(layers.grids, loads.grids);
  }

  function polygons(collection, group, drill) {
    group.clearLayers();
    L.geoJSON(collection, {
      style: { color: "#2b8cff", weight: 0.8, fillColor: "#143d6b", fillOpacity: 0.55 },
      onEachFeature: (f, layer) => {
        layer.bindTooltip(esc(f.properties.name), { sticky: true });
        if (drill) layer.on("click", () => go(f.properties.code));
        group.addLayer(layer);
      },
    });
  }

  async function shapes(gen) {
    mapEl.classList.remove("ready");
    const body = await get("dashboards/shapes", { region: state.code });
    if (gen !== state.gen) return;
    layers.outline.clearLayers();
    L.geoJSON(body.outline, { style: { color: "#5ee0ff", weight: 2.5, fill: false }, interactive: false }).addTo(layers.outline);
    polygons(body.children, layers.children, true);
    polygons(body.grids, layers.grids, true);
    if (state.place.level === "grid") map.addLayer(layers.grids);
    else if (state.place.level === "township") map.addLayer(layers.grids);
    else map.removeLayer(layers.grids);
    const [w, s, e, n] = body.bbox;
    map.fitBounds([[s, w], [n, e]], { padding: [10, 10] });
    restyle();
    mapEl.dataset.place = state.code;
    mapEl.dataset.children = String(body.children.features.length);
    mapEl.classList.add("ready");
  }

  async function mapLoad(gen) {
    const body = await get("dashboards/map", { region: state.code });
    if (gen !== state.gen) return;
    setClock(body.clock);
    if (changed("loads", [body.children, body.grids])) {
      loads = { children: body.children, grids: body.grids };
      restyle();
    }
    if (changed("heat", body.heat)) {
      layers.heat.clearLayers();
      const max = Math.max(1, ...body.heat.hexes.map((h) => h.n));
      body.heat.hexes.forEach((h) => {
        L.polygon(h.boundary, { stroke: false, fillColor: "#ff9a3c", fillOpacity: 0.15 + 0.6 * (h.n / max), interactive: false })
          .addTo(layers.heat); // under the click: a hexagon must not swallow a drill-down
      });
    }
    if (changed("points", body.points)) {
      layers.points.clearLayers();
      body.points.forEach((p) => {
        L.circleMarker([p.lat, p.lon], { radius: 4, weight: 1, color: "#08162e", fillColor: COLOURS[p.colour] || COLOURS.green, fillOpacity: 0.95 })
          .bindTooltip(`${esc(p.number)}<br>${esc(p.title)}`)
          .on("click", () => window.open(caseUrl(p.number), "_blank", "noopener"))
          .addTo(layers.points);
      });
      mapEl.dataset.points = String(body.points.length);
    }
    document.getElementById("map-note").textContent =
      `在办 ${body.total.open} · 超期 ${body.total.overdue}${body.points_capped ? "(点位仅显示最新部分)" : ""}`;
  }

  // --- scheduling and drill-down -----------------------------------------------------------------
  const TASKS = { feed, figures, map: mapLoad, trend, hot };
  function schedule(name, gen) {
    const run = async () => {
      if (gen !== state.gen) return;
      try {
        await TASKS[name](gen);
        report(name, null);
      } catch (err) {
        report(name, err);
      }
      if (gen === state.gen) state.timers[name] = setTimeout(run, (SETTINGS.poll[name] || 10) * 1000);
    };
    run();
  }

  async function go(code, push = true) {
    const gen = ++state.gen;
    Object.values(state.timers).forEach(clearTimeout);
    state.timers = {}; state.last = {}; state.lastFeedId = null;
    state.code = code;
    root.dataset.code = code;
    if (push && window.location.pathname !== pageUrl(code)) window.history.pushState({ code }, "", pageUrl(code));
    try {
      await loadPlace(gen);
      report("place", null);
    } catch (err) {
      report("place", err);
      if (gen === state.gen) state.timers.place = setTimeout(() => go(code, false), 5000);
      return;
    }
    if (gen !== state.gen) return;
    shapes(gen).catch((err) => report("shapes", err));
    Object.keys(TASKS).forEach((name) => schedule(name, gen));
  }

  window.addEventListener("popstate", (ev) => {
    const code = (ev.state && ev.state.code) || decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop() || "");
    if (code) go(code, false);
  });
  document.addEventListener("keydown", (ev) => {
    // Backspace (outside a form field) climbs one level, as the breadcrumb's previous link.
    if (ev.key !== "Backspace" || /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return;
    if (state.chain.length > 1) { ev.preventDefault(); go(state.chain[state.chain.length - 2].code); }
  });
  window.addEventListener("resize", () => { Object.values(charts).forEach((c) => c.resize()); map.invalidateSize(); });
  window.history.replaceState({ code: state.code }, "", window.location.href);
  go(state.code, false);
})();
