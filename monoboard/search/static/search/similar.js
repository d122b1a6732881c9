// Similar posts while typing a new post's title. No dependencies.
// Looks for .similar-posts; the title input is the form's input[name="title"].
(function () {
  "use strict";
  var DELAY_MS = 250;

  function csrfToken(form) {
    var field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(box, list, posts, form) {
    list.textContent = "";
    posts.forEach(function (p) {
      var li = el("li", "similar-item");
      var vote = el("button", "vote small" + (p.voted ? " is-voted" : ""));
      vote.type = "button";
      vote.setAttribute("aria-pressed", p.voted ? "true" : "false");
      vote.setAttribute("aria-label", "Vote for " + p.title);
      vote.appendChild(el("span", "vote-count", "▲ " + p.vote_count));
      vote.addEventListener("click", function () {
        vote.disabled = true;
        fetch(p.vote_url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(form) },
        }).then(function (r) {
          if (r.status === 401) { window.location = p.url; return null; }
          return r.ok ? r.json() : null;
        }).then(function (data) {
          vote.disabled = false;
          if (!data) return;
          vote.classList.toggle("is-voted", data.voted);
          vote.setAttribute("aria-pressed", data.voted ? "true" : "false");
          vote.firstChild.textContent = "▲ " + data.vote_count;
        }).catch(function () { vote.disabled = false; });
      });
      var link = el("a", "similar-title", p.title);
      link.href = p.url;
      li.appendChild(vote);
      li.appendChild(link);
      li.appendChild(el("span", "similar-status muted small", p.status));
      list.appendChild(li);
    });
    box.hidden = posts.length === 0;
  }

  function attach(box) {
    var form = box.closest("form");
    var input = form && form.querySelector("input[name=title]");
    var list = box.querySelector(".similar-list");
    if (!input || !list) return;
    var timer = null;
    var seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var title = input.value.trim();
        var mine = ++seq;
        if (title.length < 3) { render(box, list, [], form); return; }
        var url = box.dataset.similarUrl + "?board=" + encodeURIComponent(box.dataset.board) +
          "&title=" + encodeURIComponent(title);
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (posts) { if (mine === seq) render(box, list, posts, form); })
          .catch(function () {});
      }, DELAY_MS);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".similar-posts"), attach);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
