// Shared by the case pages: the CSRF token, a JSON call that turns the API's errors into one
// Chinese sentence, and a random key that works without a secure context (intranet over http).
(function () {
  "use strict";
  function csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function errorText(status, body) {
    if (body && body.errors && body.errors.length) {
      return (body.message_zh || "请求参数无效") + ":" + body.errors.map((e) => `${e.field || "?"} ${e.message}`).join(";");
    }
    if (body && (body.message_zh || body.message)) return body.message_zh || body.message;
    if (status === 403) return "无权执行此操作(403),请刷新页面后重试。";
    return `服务器错误(${status}),请稍后重试;已填写的内容不会丢失。`;
  }
  async function call(method, url, data, headers) {
    let response;
    try {
      response = await fetch(url, {
        method, credentials: "same-origin",
        headers: Object.assign({ Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf() }, headers || {}),
        body: data === undefined ? undefined : JSON.stringify(data),
      });
    } catch (err) {
      return { ok: false, status: 0, error: "网络中断,未能提交;请检查网络后重试(重试不会重复登记)。" };
    }
    let body = null;
    try { body = await response.json(); } catch (err) { body = null; }
    return response.ok ? { ok: true, status: response.status, body } : { ok: false, status: response.status, body, error: errorText(response.status, body) };
  }
  // --- attachments: checked here first (type by extension, size, count) for a quick answer,
  // then uploaded one by one to the API, which judges the type by the file's content. ---------
  function fileRule(input) {
    return {
      accept: (input.getAttribute("accept") || "").split(",").filter(Boolean),
      maxBytes: Number(input.dataset.maxBytes || 0),
      maxFiles: Number(input.dataset.maxFiles || 20),
    };
  }
  function checkFiles(input) {
    const rule = fileRule(input);
    const files = Array.from(input.files || []);
    const errors = [];
    if (files.length > rule.maxFiles) errors.push(`一次最多上传 ${rule.maxFiles} 个附件,您选择了 ${files.length} 个。`);
    for (const f of files) {
      const dot = f.name.lastIndexOf(".");
      const ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : "";
      if (!rule.accept.includes(ext)) errors.push(`“${f.name}”的类型不支持(仅限 ${rule.accept.map((a) => a.slice(1)).join("/")})。`);
      else if (f.size === 0) errors.push(`“${f.name}”是空文件。`);
      else if (rule.maxBytes && f.size > rule.maxBytes) errors.push(`“${f.name}”超过 ${Math.round(rule.maxBytes / 1048576)} MB(${(f.size / 1048576).toFixed(1)} MB)。`);
    }
    return errors;
  }
  function sizeText(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB"; }
  // Shows the chosen files and what is wrong with them; returns whether they may be sent.
  function showFiles(input, list, errorBox) {
    const errors = checkFiles(input);
    list.textContent = "";
    for (const f of Array.from(input.files || [])) {
      const li = document.createElement("li");
      li.textContent = `${f.name}(${sizeText(f.size)})`;
      list.appendChild(li);
    }
    errorBox.textContent = errors.join(" ");
    return errors.length === 0;
  }
  const uploaded = new Map(); // the same file chosen again (a retry) is not uploaded twice
  async function uploadFiles(input, url) {
    const ids = [];
    for (const f of Array.from(input.files || [])) {
      const id = `${f.name}|${f.size}|${f.lastModified}`;
      if (uploaded.has(id)) { ids.push(uploaded.get(id)); continue; }
      const data = new FormData();
      data.append("file", f, f.name);
      let response;
      try {
        response = await fetch(url, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrf() }, body: data });
      } catch (err) {
        return { ok: false, error: `附件“${f.name}”上传失败:网络中断,请重试。` };
      }
      let body = null;
      try { body = await response.json(); } catch (err) { body = null; }
      if (!response.ok) return { ok: false, error: `附件“${f.name}”未能上传:${errorText(response.status, body)}` };
      uploaded.set(id, body.id);
      ids.push(body.id);
    }
    return { ok: true, ids };
  }
  function randomKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  window.gridgovCases = { csrf, call, randomKey, checkFiles, showFiles, uploadFiles };
})();
