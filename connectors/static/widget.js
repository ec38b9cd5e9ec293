/* LA 311 Know-Your-Rights chat widget.
 * Embed: <script src="https://<gateway>/widget.js" data-lang="es" async></script>
 * Optional: data-exit-url (where Quick exit goes; default a search engine page).
 * One shadow root isolates it from the host page's CSS. No inline script or style, no eval,
 * no HTML parsing: every text is set as text. Interface texts come from the server (UI below).
 * Nothing is stored after the tab closes unless the resident ticks "keep": sessionStorage
 * by default, localStorage only when asked, both wiped by Clear chat and Quick exit.
 */
(function () {
  "use strict";
  var UI = /*KYR311_UI*/null;
  var script = document.currentScript;
  if (!UI || !script || document.getElementById("kyr311-widget")) { return; }

  var BASE = new URL(script.src, location.href).origin;
  var KEY = "kyr311.chat";
  var TIMEOUT_MS = 25000;
  var tags = UI.languages.map(function (l) { return l.tag; });
  var exitUrl = safeUrl(script.getAttribute("data-exit-url")) || "https://www.google.com/";

  var state = load() || { token: "", lang: "", chosen: "", items: [], open: false, keep: false };
  var preset = pickLang(script.getAttribute("data-lang")) || pickLang(new URLSearchParams(location.search).get("lang"));
  if (preset && !state.items.length) { state.chosen = preset; state.lang = preset; }
  if (!state.lang) { state.lang = negotiate(navigator.languages || [navigator.language]) || "en"; }
  var busy = false;

  // ---- language helpers ----
  function pickLang(raw) {
    if (!raw) { return ""; }
    var low = String(raw).toLowerCase().replace(/_/g, "-");
    for (var i = 0; i < tags.length; i++) { if (tags[i].toLowerCase() === low) { return tags[i]; } }
    var parts = low.split("-");
    if (parts[0] === "zh") {
      return /hant|tw|hk|mo|yue/.test(low) ? "zh-Hant" : "zh-Hans";
    }
    if (parts[0] === "fil") { return "tl"; }
    return tags.indexOf(parts[0]) >= 0 ? parts[0] : "";
  }
  function negotiate(list) {
    for (var i = 0; i < list.length; i++) { var tag = pickLang(list[i]); if (tag) { return tag; } }
    return "";
  }
  function t(key) {
    var strings = UI.strings[state.lang] || UI.strings.en;
    return strings[key] || UI.strings.en[key] || "";
  }
  function dirOf(tag) {
    for (var i = 0; i < UI.languages.length; i++) { if (UI.languages[i].tag === tag) { return UI.languages[i].dir; } }
    return "ltr";
  }
  function safeUrl(raw) {
    if (!raw) { return ""; }
    try { var url = new URL(raw, location.href); return /^https?:$/.test(url.protocol) ? url.href : ""; } catch (e) { return ""; }
  }

  // ---- storage ----
  function load() {
    try {
      var raw = localStorage.getItem(KEY) || sessionStorage.getItem(KEY);
      return raw ? JSON.parse(raw) : null;
    } catch (e) { return null; }
  }
  function save() {
    try {
      var raw = JSON.stringify(state);
      if (state.keep) { localStorage.setItem(KEY, raw); sessionStorage.removeItem(KEY); }
      else { sessionStorage.setItem(KEY, raw); localStorage.removeItem(KEY); }
    } catch (e) { /* storage full or blocked: the chat still works for this page */ }
  }
  function wipe() {
    try { localStorage.removeItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { /* blocked storage */ }
  }

  // ---- DOM ----
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }
  var host = el("div", { id: "kyr311-widget" });
  var root = host.attachShadow({ mode: "open" });
  var css = el("link", { rel: "stylesheet", href: BASE + "/widget.css" });
  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "panel" });
  var panel = el("section", { id: "panel", "class": "panel", role: "dialog", "aria-labelledby": "title" });
  var header = el("div", { "class": "bar" });
  var title = el("h2", { id: "title" });
  var langLabel = el("label", { "for": "lang", "class": "sr" });
  var picker = el("select", { id: "lang" });
  var exitButton = el("button", { type: "button", "class": "exit" });
  var closeButton = el("button", { type: "button", "class": "close" }, "×");
  var privacy = el("p", { "class": "privacy" });
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-labelledby": "title", tabindex: "0" });
  var typing = el("p", { "class": "typing", role: "status" });
  var form = el("form", { "class": "composer" });
  var inputLabel = el("label", { "for": "input", "class": "sr" });
  var input = el("textarea", { id: "input", rows: "2", maxlength: "1600", autocomplete: "off" });
  var sendButton = el("button", { type: "submit", "class": "send" });
  var footer = el("div", { "class": "foot" });
  var keepLabel = el("label", { "class": "keep" });
  var keepBox = el("input", { type: "checkbox" });
  var keepText = el("span");
  var clearButton = el("button", { type: "button", "class": "clear" });

  UI.languages.forEach(function (l) {
    var option = el("option", { value: l.tag, lang: l.tag, dir: l.dir }, l.name);
    picker.appendChild(option);
  });
  var tools = el("div", { "class": "tools" });
  [langLabel, picker, exitButton, closeButton].forEach(function (n) { tools.appendChild(n); });
  header.appendChild(title);
  header.appendChild(tools);
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);
  keepLabel.appendChild(keepBox);
  keepLabel.appendChild(keepText);
  footer.appendChild(keepLabel);
  footer.appendChild(clearButton);
  [header, privacy, log, typing, form, footer].forEach(function (n) { panel.appendChild(n); });
  [css, launcher, panel].forEach(function (n) { root.appendChild(n); });

  function chrome() {
    var dir = dirOf(state.lang);
    [panel, launcher].forEach(function (n) { n.setAttribute("lang", state.lang); n.setAttribute("dir", dir); });
    input.setAttribute("dir", dir);
    launcher.textContent = t("open");
    title.textContent = t("title");
    langLabel.textContent = t("language");
    picker.value = state.lang;
    exitButton.textContent = t("quick_exit");
    closeButton.setAttribute("aria-label", t("close"));
    privacy.textContent = t("privacy");
    inputLabel.textContent = t("input_label");
    input.setAttribute("placeholder", t("placeholder"));
    sendButton.textContent = t("send");
    keepText.textContent = t("remember");
    keepBox.checked = !!state.keep;
    clearButton.textContent = t("clear");
    panel.hidden = !state.open;
    launcher.setAttribute("aria-expanded", String(!!state.open));
  }

  function link(url, label) {
    var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label);
    a.appendChild(el("span", { "class": "sr" }, " " + t("new_tab")));
    return a;
  }
  function paragraphs(node, text) {
    String(text).split(/\n{2,}/).forEach(function (block) {
      var p = el("p");
      var re = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]]/g;
      var at = 0, m;
      while ((m = re.exec(block)) !== null) {
        p.appendChild(document.createTextNode(block.slice(at, m.index)));
        p.appendChild(link(m[0], m[0]));
        at = m.index + m[0].length;
      }
      p.appendChild(document.createTextNode(block.slice(at)));
      node.appendChild(p);
    });
  }
  function bubble(item) {
    var who = item.who === "user" ? "you" : "assistant";
    var node = el("div", { "class": "msg " + item.who, dir: item.dir || "auto" });
    if (item.lang) { node.setAttribute("lang", item.lang); }
    if (item.topic) { node.setAttribute("data-topic", item.topic); }
    node.appendChild(el("span", { "class": "sr" }, item.who === "error" ? "" : t(who) + " "));
    paragraphs(node, item.text);
    var sources = (item.sources || []).map(safeUrl).filter(Boolean);
    if (sources.length) {
      var list = el("ul", { "class": "sources" });
      sources.forEach(function (url) {
        var li = el("li");
        li.appendChild(link(url, new URL(url).hostname.replace(/^www\./, "")));
        list.appendChild(li);
      });
      node.appendChild(list);
    }
    if (item.buttons && item.buttons.length) {
      var row = el("div", { "class": "replies" });
      item.buttons.forEach(function (b) {
        var button = el("button", { type: "button" }, b.title);
        button.addEventListener("click", function () { send(b.payload, b.title); });
        row.appendChild(button);
      });
      node.appendChild(row);
    }
    if (item.retry) {
      var again = el("button", { type: "button", "class": "retry" }, t("retry"));
      again.addEventListener("click", function () { state.items.pop(); render(); ask(item.retry, null); });
      node.appendChild(again);
    }
    return node;
  }
  function render() {
    chrome();
    while (log.firstChild) { log.removeChild(log.firstChild); }
    state.items.forEach(function (item) { log.appendChild(bubble(item)); });
    log.scrollTop = log.scrollHeight;
  }
  function add(item) {
    state.items.push(item);
    save();
    log.appendChild(bubble(item));
    log.scrollTop = log.scrollHeight;
  }

  // ---- the chat API ----
  function call(method, path, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    var options = { method: method, credentials: "omit", signal: controller.signal, headers: {} };
    if (body) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(BASE + path, options).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (data) { return { status: response.status, data: data }; });
    }, function (error) { clearTimeout(timer); throw error; });
  }
  function session() {
    if (state.token) { return Promise.resolve(state.token); }
    return call("POST", "/chat/sessions").then(function (r) {
      if (!r.data.session) { throw new Error("no session"); }
      state.token = r.data.session;
      save();
      return state.token;
    });
  }
  function ask(payload, retried) {
    busy = true;
    sendButton.disabled = true;
    typing.textContent = t("typing");
    var body = { text: payload };
    if (state.chosen) { body.lang = state.chosen; }
    return session().then(function (token) {
      return call("POST", "/chat/sessions/" + encodeURIComponent(token) + "/messages", body);
    }).then(function (r) {
      if ((r.status === 404 || r.status === 410) && !retried) { state.token = ""; return ask(payload, true); }
      var messages = r.data.messages || [];
      if (!messages.length) { throw new Error("no reply"); }
      messages.forEach(function (m) {
        add({ who: "bot", text: m.text, lang: m.lang, dir: m.dir, topic: m.topic, buttons: m.buttons || [], sources: m.sources || [] });
      });
      var last = pickLang(messages[messages.length - 1].lang);
      if (last && last !== state.lang) { state.lang = last; save(); chrome(); }
    }).catch(function () {
      add({ who: "error", text: t("unreachable"), lang: state.lang, dir: dirOf(state.lang), retry: payload });
    }).then(function () {
      busy = false;
      sendButton.disabled = false;
      typing.textContent = "";
    });
  }
  function send(payload, shown) {
    if (busy) { return; }
    add({ who: "user", text: shown || payload });
    ask(payload, false);
  }
  function forgetServer() {
    if (!state.token) { return; }
    try {
      fetch(BASE + "/chat/sessions/" + encodeURIComponent(state.token), { method: "DELETE", credentials: "omit", keepalive: true })
        .catch(function () { /* the server forgets idle conversations anyway */ });
    } catch (e) { /* old browsers without keepalive */ }
  }

  // ---- events ----
  function toggle(open) {
    state.open = open;
    save();
    chrome();
    (open ? input : launcher).focus();
  }
  launcher.addEventListener("click", function () { toggle(!state.open); });
  closeButton.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); toggle(false); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text && !busy) { input.value = ""; send(text); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : sendButton.click();
    }
  });
  picker.addEventListener("change", function () {
    var tag = pickLang(picker.value);
    if (!tag) { return; }
    state.lang = tag;
    state.chosen = tag;
    save();
    render();
    send('/change_language{"language": "' + tag + '"}', picker.options[picker.selectedIndex].text);
  });
  keepBox.addEventListener("change", function () { state.keep = keepBox.checked; save(); });
  clearButton.addEventListener("click", function () {
    forgetServer();
    wipe();
    state = { token: "", lang: state.lang, chosen: state.chosen, items: [], open: true, keep: false };
    render();
    typing.textContent = t("cleared");
    input.focus();
  });
  exitButton.addEventListener("click", function () {
    forgetServer();
    wipe();
    state = { token: "", lang: "", chosen: "", items: [], open: false, keep: false };
    host.remove();
    // replace(): the page with the chat is not left in the back history.
    location.replace(exitUrl);
  });

  render();
  document.body.appendChild(host);
}());
