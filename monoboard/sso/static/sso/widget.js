/* monoboard feedback widget: one <script src=".../static/sso/widget.js"></script>
   and monoboard.identify({token}) put a Feedback button and panel on any site.
   The panel is an iframe on the board's own origin; it keeps its access token
   in memory, so no third-party cookie is needed. docs/widget.md */
(function () {
  "use strict";
  if (window.monoboard && window.monoboard.version) return;
  var script = document.currentScript;
  var board = new URL(script.src).origin;
  var label = script.getAttribute("data-label") || "Feedback";
  var color = script.getAttribute("data-color") || "#4f46e5";
  var frame, button, ready = false, open = false, token = null, queue = [];

  function send(message) {
    if (ready) frame.contentWindow.postMessage(message, board);
    else queue.push(message);
  }

  function show(wanted) {
    open = wanted;
    frame.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) {
      send({ type: "monoboard:open" });
      frame.focus();
    } else {
      button.focus();
    }
  }

  function build() {
    button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "monoboard-panel");
    button.setAttribute("data-monoboard", "button");
    button.style.cssText =
      "position:fixed;right:16px;bottom:16px;z-index:2147483646;padding:10px 18px;" +
      "border:0;border-radius:999px;background:" + color + ";color:#fff;" +
      "font:600 15px/1.2 system-ui,sans-serif;cursor:pointer;box-shadow:0 2px 10px rgba(0,0,0,.3)";
    button.addEventListener("click", function () { show(!open); });
    frame = document.createElement("iframe");
    frame.id = "monoboard-panel";
    frame.title = label;
    frame.src = board + "/sso/widget/frame/";
    frame.hidden = true;
    frame.setAttribute("data-monoboard", "panel");
    frame.style.cssText =
      "position:fixed;right:16px;bottom:68px;width:min(400px,calc(100vw - 32px));" +
      "height:min(620px,calc(100vh - 96px));border:1px solid #d4d4d8;border-radius:12px;" +
      "background:#fff;z-index:2147483647;box-shadow:0 8px 30px rgba(0,0,0,.25)";
    document.body.appendChild(button);
    document.body.appendChild(frame);
  }

  window.addEventListener("message", function (event) {
    if (!frame || event.origin !== board || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === "monoboard:ready") {
      ready = true;
      if (token) queue.unshift({ type: "monoboard:identify", token: token });
      queue.splice(0).forEach(send);
    } else if (data.type === "monoboard:close") {
      show(false);
    } else if (data.type === "monoboard:expired" && typeof api.onExpired === "function") {
      api.onExpired();
    }
  });

  var api = {
    version: 1,
    /* Sign the person in: {token: "<JWT from your server>"}. */
    identify: function (options) {
      token = options && options.token;
      if (ready) send({ type: "monoboard:identify", token: token });
    },
    open: function () { show(true); },
    close: function () { show(false); },
    onExpired: null
  };
  window.monoboard = api;
  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
