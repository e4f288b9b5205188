// The work queue: saved views (named querystrings in this browser's localStorage), select-all
// and the count of the bulk dispatch.
(function () {
  "use strict";
  const box = document.getElementById("saved-views");
  if (box) {
    const key = box.dataset.storageKey;
    const list = box.querySelector(".saved-list");
    const load = () => { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } };
    const store = (views) => localStorage.setItem(key, JSON.stringify(views));
    function render() {
      const views = load();
      list.innerHTML = "";
      if (!views.length) { list.innerHTML = '<span class="muted small">尚无保存的视图</span>'; return; }
      views.forEach((v, i) => {
        const a = document.createElement("a");
        a.href = "?" + v.query; a.textContent = v.name; a.className = "saved-view";
        const x = document.createElement("button");
        x.type = "button"; x.className = "link-btn"; x.textContent = "×"; x.title = "删除视图 " + v.name;
        x.addEventListener("click", () => { const all = load(); all.splice(i, 1); store(all); render(); });
        list.append(a, x);
      });
    }
    document.getElementById("save-view").addEventListener("click", () => {
      const name = (window.prompt("视图名称:", "") || "").trim();
      if (!name) return;
      const params = new URLSearchParams(window.location.search);
      params.delete("page"); params.delete("export");
      const views = load().filter((v) => v.name !== name);
      views.push({ name: name.slice(0, 30), query: params.toString() });
      store(views); render();
    });
    render();
  }
  const all = document.getElementById("select-all");
  const count = document.getElementById("bulk-count");
  const boxes = () => Array.from(document.querySelectorAll("input[name=numbers]"));
  const update = () => { if (count) count.textContent = String(boxes().filter((b) => b.checked).length); };
  if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); update(); });
  document.addEventListener("change", (ev) => { if (ev.target.name === "numbers") update(); });
  update();
})();
