// The web chat: a thin client. Replies arrive as server-escaped HTML; what the
// user types is only ever shown with textContent.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var statusEl = document.getElementById("status");
  var KEY = "safemig.session", HISTORY = "safemig.history", STARTED = "safemig.started";
  var socket = null, retry = 0, pending = {};

  function randomId(bytes) {
    var a = new Uint8Array(bytes); crypto.getRandomValues(a);
    return btoa(String.fromCharCode.apply(null, a)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  var session = localStorage.getItem(KEY);
  if (!session) { session = randomId(32); localStorage.setItem(KEY, session); }

  function history() { try { return JSON.parse(sessionStorage.getItem(HISTORY) || "[]"); } catch (e) { return []; } }
  function remember(entry) { var h = history(); h.push(entry); sessionStorage.setItem(HISTORY, JSON.stringify(h.slice(-200))); }

  function scroll() { log.scrollTop = log.scrollHeight; }
  function bubble(cls, node) { var d = document.createElement("div"); d.className = "msg " + cls; d.appendChild(node); log.appendChild(d); scroll(); return d; }
  function showMine(text) { bubble("me", document.createTextNode(text)); }
  function showError(text) { bubble("error", document.createTextNode(text)); }
  function showBot(msg) {
    var t = document.createElement("div"); t.innerHTML = msg.html;  // escaped by the server
    bubble("bot", t);
    if (msg.buttons && msg.buttons.length) {
      var box = document.createElement("div"); box.className = "buttons";
      msg.buttons.forEach(function (row) {
        var r = document.createElement("div"); r.className = "row";
        row.forEach(function (b) {
          var el = document.createElement("button"); el.type = "button"; el.textContent = b.label;
          el.dataset.id = b.id;
          el.addEventListener("click", function () { press(b, box); });
          r.appendChild(el);
        });
        box.appendChild(r);
      });
      log.appendChild(box); scroll();
    }
    if (msg.language) document.documentElement.lang = msg.language === "rom" ? "rom" : msg.language;
  }

  function send(payload) {
    payload.mid = randomId(12);
    pending[payload.mid] = payload;
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(payload));
  }
  function press(b, box) {
    box.classList.add("used");
    showMine(b.label); remember({ who: "me", text: b.label });
    if (b.id === "forget:yes") { sessionStorage.removeItem(HISTORY); }
    send({ type: "button", button: b.id });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    showMine(text); remember({ who: "me", text: text });
    send({ type: "text", text: text });
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/chat/ws?session=" + encodeURIComponent(session);
    statusEl.textContent = "…";
    socket = new WebSocket(url);
    socket.onopen = function () {
      retry = 0; statusEl.textContent = "";
      Object.keys(pending).forEach(function (mid) { socket.send(JSON.stringify(pending[mid])); });
      if (!sessionStorage.getItem(STARTED)) { sessionStorage.setItem(STARTED, "1"); send({ type: "text", text: "/start" }); }
    };
    socket.onmessage = function (ev) {
      var msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === "message") { showBot(msg); remember({ who: "bot", msg: msg }); }
      else if (msg.type === "ack") { delete pending[msg.mid]; }
      else if (msg.type === "error") { if (msg.mid) delete pending[msg.mid]; showError(msg.message); }
    };
    socket.onclose = function () {
      statusEl.textContent = "offline";
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry));
    };
  }

  history().forEach(function (e) { if (e.who === "me") showMine(e.text); else showBot(e.msg); });
  connect();
})();
