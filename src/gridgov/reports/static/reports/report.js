// Report pages: follow a generation in progress, and Ctrl+Enter to save the edit form.
(function () {
  "use strict";
  var box = document.getElementById("gen-status");
  if (box && (box.dataset.status === "queued" || box.dataset.status === "running")) {
    var poll = function () {
      fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status === "ready" || s.status === "failed") { window.location.reload(); return; }
          document.getElementById("gen-label").textContent = s.label;
          document.getElementById("gen-progress").value = s.progress;
          document.getElementById("gen-note").textContent = s.note;
          setTimeout(poll, 1500);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }
  var form = document.getElementById("edit-form");
  if (form) {
    form.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    });
  }
})();
