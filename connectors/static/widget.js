// Minimal chat widget for the demo page: no inline script, no eval, text only (never HTML).
(function () {
  "use strict";
  var root = document.getElementById("kyr311-chat");
  if (!root) { return; }
  var session = null;
  var lang = root.getAttribute("data-lang") || new URLSearchParams(location.search).get("lang") || "";

  var log = document.createElement("div");
  log.className = "kyr-log";
  log.setAttribute("aria-live", "polite");
  var form = document.createElement("form");
  form.className = "kyr-form";
  var input = document.createElement("input");
  input.setAttribute("aria-label", "Message");
  input.maxLength = 1600;
  var send = document.createElement("button");
  send.type = "submit";
  send.textContent = "Send";
  form.appendChild(input);
  form.appendChild(send);
  root.appendChild(log);
  root.appendChild(form);

  function show(text, who, dir, langTag) {
    var bubble = document.createElement("div");
    bubble.className = "kyr-msg kyr-" + who;
    bubble.textContent = text;
    if (dir) { bubble.dir = dir; }
    if (langTag) { bubble.lang = langTag; }
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    return bubble;
  }

  function showButtons(buttons) {
    var row = document.createElement("div");
    row.className = "kyr-buttons";
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () { post(b.payload, b.title); });
      row.appendChild(button);
    });
    log.appendChild(row);
  }

  function ensureSession() {
    if (session) { return Promise.resolve(session); }
    return fetch("/chat/sessions", { method: "POST" })
      .then(function (r) { return r.json(); })
      .then(function (body) { session = body.session; return session; });
  }

  function post(text, shown) {
    show(shown || text, "user");
    var body = { text: text };
    if (lang) { body.lang = lang; lang = ""; }
    ensureSession().then(function (token) {
      return fetch("/chat/sessions/" + encodeURIComponent(token) + "/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      });
    }).then(function (r) { return r.json(); }).then(function (reply) {
      (reply.messages || []).forEach(function (m) {
        show(m.text, "bot", m.dir, m.lang);
        if (m.buttons && m.buttons.length) { showButtons(m.buttons); }
      });
    }).catch(function () {
      show("The chat cannot be reached right now. / No se puede conectar con el chat.", "bot");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) { input.value = ""; post(text); }
  });
}());
