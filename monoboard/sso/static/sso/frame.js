/* The widget's panel, inside the iframe on the board's origin. It trusts
   messages only from the parent window at an origin the admins listed,
   trades the signed identify token for an access token kept in memory, and
   then speaks the JSON API (/api/v1) with it. docs/widget.md */
(function () {
  "use strict";
  var allowed = JSON.parse(document.getElementById("mb-origins").textContent);
  var parentOrigin = null, accessToken = null, boards = [], seen = {}, timer = null, poll = null;
  var $ = function (id) { return document.getElementById(id); };

  function tell(message) {
    if (parentOrigin) window.parent.postMessage(message, parentOrigin);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function api(method, path, body) {
    if (!accessToken) return Promise.reject(new Error("Not signed in yet."));
    var init = { method: method, headers: { Authorization: "Bearer " + accessToken } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch("/api/v1" + path, init).then(function (r) {
      if (r.status === 401) {
        accessToken = null;
        $("mb-who").textContent = "Your session ended; reload the page to sign in again.";
        tell({ type: "monoboard:expired" });
      }
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) {
          var e = new Error(data.detail || data.title || "Something went wrong.");
          e.errors = data.errors || {};
          throw e;
        }
        return data;
      });
    });
  }

  function identify(token) {
    $("mb-who").textContent = "Signing in…";
    fetch("/sso/widget/identify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token, origin: parentOrigin }),
      credentials: "omit"
    }).then(function (r) {
      return r.json().then(function (d) { return { ok: r.ok, data: d }; });
    }).then(function (res) {
      if (!res.ok) {
        $("mb-who").textContent = "Sign-in refused: " + res.data.error;
        return;
      }
      accessToken = res.data.access_token;
      $("mb-who").textContent = "Signed in as " + res.data.user.name;
      loadBoards();
    }).catch(function () {
      $("mb-who").textContent = "The board could not be reached.";
    });
  }

  function loadBoards() {
    api("GET", "/boards").then(function (list) {
      boards = list;
      var select = $("mb-board");
      select.textContent = "";
      list.forEach(function (b) { select.appendChild(el("option", { value: b.slug }, b.name)); });
      loadMine(false);
      clearInterval(poll);
      poll = setInterval(function () { loadMine(true); }, 60000);
    });
  }

  function voteButton(post) {
    var button = el("button", { type: "button", class: "mb-vote", "aria-pressed": String(!!post.voted) });
    function label() {
      button.textContent = "▲ " + post.vote_count;
      button.setAttribute("aria-label", (post.voted ? "Remove your vote from " : "Vote for ") + post.title +
        ", " + post.vote_count + " vote" + (post.vote_count === 1 ? "" : "s"));
    }
    label();
    button.addEventListener("click", function () {
      api(post.voted ? "DELETE" : "PUT", "/posts/" + post.id + "/vote").then(function (v) {
        post.voted = v.voted;
        post.vote_count = v.vote_count;
        button.setAttribute("aria-pressed", String(v.voted));
        label();
      });
    });
    return button;
  }

  function row(post, extra) {
    var li = el("li", { class: "mb-row" });
    li.appendChild(voteButton(post));
    var main = el("div", { class: "mb-row-main" });
    main.appendChild(el("a", { href: post.url, target: "_blank", rel: "noopener" }, post.title));
    if (extra) main.appendChild(el("span", { class: "mb-muted" }, " " + extra));
    li.appendChild(main);
    return li;
  }

  function similar() {
    var title = $("mb-title-input").value.trim();
    var box = $("mb-similar");
    if (title.length < 4 || !accessToken) { box.textContent = ""; return; }
    api("GET", "/boards/" + encodeURIComponent($("mb-board").value) + "/similar?title=" +
      encodeURIComponent(title)).then(function (hits) {
      box.textContent = "";
      if (!hits.length) return;
      box.appendChild(el("p", { class: "mb-muted" }, "Already asked? Vote instead:"));
      var list = el("ul", { class: "mb-list", "data-testid": "similar" });
      hits.forEach(function (h) { list.appendChild(row(h, h.status)); });
      box.appendChild(list);
    });
  }

  function submit(event) {
    event.preventDefault();
    $("mb-title-error").textContent = "";
    $("mb-title-input").removeAttribute("aria-invalid");
    var title = $("mb-title-input").value.trim();
    api("POST", "/boards/" + encodeURIComponent($("mb-board").value) + "/posts",
      { title: title, body: $("mb-body").value }).then(function (post) {
      $("mb-form").reset();
      $("mb-similar").textContent = "";
      var done = $("mb-posted");
      done.textContent = "Thanks! Your idea is posted: ";
      done.appendChild(el("a", { href: post.url, target: "_blank", rel: "noopener" }, post.title));
      loadMine(false);
    }).catch(function (e) {
      $("mb-title-error").textContent = (e.errors && e.errors.title && e.errors.title[0]) || e.message;
      $("mb-title-input").setAttribute("aria-invalid", "true");
      $("mb-title-input").focus();
    });
  }

  function loadRoadmap() {
    var pane = $("pane-roadmap");
    api("GET", "/roadmap").then(function (columns) {
      pane.textContent = "";
      columns.forEach(function (c) {
        pane.appendChild(el("h2", {}, c.status.name + " (" + c.posts.length + ")"));
        var list = el("ul", { class: "mb-list" });
        c.posts.forEach(function (p) {
          var li = el("li", { class: "mb-row" });
          li.appendChild(el("a", { href: p.url, target: "_blank", rel: "noopener" }, p.title));
          li.appendChild(el("span", { class: "mb-muted" }, " ▲ " + p.vote_count));
          list.appendChild(li);
        });
        if (!c.posts.length) list.appendChild(el("li", { class: "mb-muted" }, "Nothing here yet."));
        pane.appendChild(list);
      });
    });
  }

  /* Your posts and the posts you voted for, with their statuses; a change
     since the panel last looked is announced. */
  function loadMine(announce) {
    var pane = $("pane-mine");
    var queries = [];
    boards.forEach(function (b) {
      ["mine=true", "voted=true"].forEach(function (q) {
        queries.push(api("GET", "/boards/" + encodeURIComponent(b.slug) + "/posts?limit=50&" + q));
      });
    });
    Promise.all(queries).then(function (pages) {
      var byId = {};
      pages.forEach(function (p) { p.items.forEach(function (post) { byId[post.id] = post; }); });
      var posts = Object.keys(byId).map(function (k) { return byId[k]; });
      pane.textContent = "";
      var changes = el("p", { class: "mb-ok", role: "status", "data-testid": "status-changes" });
      pane.appendChild(changes);
      var list = el("ul", { class: "mb-list", "data-testid": "mine" });
      var news = [];
      posts.forEach(function (post) {
        var before = seen[post.id];
        if (announce && before && before !== post.status.name) {
          news.push(post.title + ": " + before + " → " + post.status.name);
        }
        seen[post.id] = post.status.name;
        list.appendChild(row(post, "· " + post.status.name));
      });
      if (!posts.length) list.appendChild(el("li", { class: "mb-muted" }, "Nothing yet: post an idea or vote."));
      changes.textContent = news.length ? "Status changed: " + news.join("; ") : "";
      pane.appendChild(list);
    });
  }

  function select(tab) {
    var tabs = document.querySelectorAll("[role=tab]");
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    tab.focus();
    if (tab.id === "tab-roadmap") loadRoadmap();
    if (tab.id === "tab-mine") loadMine(true);
  }

  document.querySelectorAll("[role=tab]").forEach(function (tab, i, all) {
    tab.addEventListener("click", function () { select(tab); });
    tab.addEventListener("keydown", function (e) {
      var next = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (next) { e.preventDefault(); select(all[(i + next + all.length) % all.length]); }
    });
  });
  $("mb-form").addEventListener("submit", submit);
  $("mb-title-input").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(similar, 300);
  });
  $("mb-close").addEventListener("click", function () { tell({ type: "monoboard:close" }); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") tell({ type: "monoboard:close" });
  });

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || allowed.indexOf(event.origin) === -1) return;
    var data = event.data || {};
    parentOrigin = event.origin;
    if (data.type === "monoboard:identify" && typeof data.token === "string") identify(data.token);
    if (data.type === "monoboard:open") $("mb-title-input").focus();
  });

  /* Say hello to every listed origin; only the real parent's one arrives. */
  allowed.forEach(function (origin) { window.parent.postMessage({ type: "monoboard:ready" }, origin); });
})();
