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
  function randomKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  window.gridgovCases = { csrf, call, randomKey };
})();
