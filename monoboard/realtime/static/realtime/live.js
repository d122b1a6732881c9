/* monoboard live updates: vote counts, new comments and status changes arrive
 * over Server-Sent Events while the page is open. No dependencies.
 *
 * <body data-events-url="..." data-live-board="slug"> (or data-live-post="id")
 * is rendered by {% live_attrs %}. EventSource reconnects by itself and sends
 * Last-Event-ID, so the server replays whatever was missed meanwhile.
 */
(function () {
  "use strict";

  var body = document.body;
  var base = body && body.getAttribute("data-events-url");
  if (!base || typeof window.EventSource !== "function") return;

  var board = body.getAttribute("data-live-board");
  var post = body.getAttribute("data-live-post");
  var query = post ? "post=" + encodeURIComponent(post) : "board=" + encodeURIComponent(board || "");
  var url = base + (base.indexOf("?") === -1 ? "?" : "&") + query;

  /* The element that shows one post: a row of the board list, or the post page. */
  function postScope(postId) {
    var row = document.querySelector('[data-post-id="' + postId + '"]');
    if (row) return row;
    if (post && String(postId) === post) return document.querySelector('[data-testid="post"]') || document;
    return null;
  }

  function onVote(data) {
    var scope = postScope(data.post_id);
    if (!scope) return;
    var count = scope.querySelector('[data-testid="vote-count"]');
    if (count) count.textContent = String(data.vote_count);
    var button = scope.querySelector('[data-testid="vote-button"]');
    if (button && data.mine && typeof data.voted === "boolean") {
      button.classList.toggle("is-voted", data.voted);
      button.setAttribute("aria-pressed", data.voted ? "true" : "false");
    }
  }

  var newComments = 0;

  function onComment(data) {
    var scope = postScope(data.post_id);
    if (!scope) return;
    var counter = scope.querySelector('[data-testid="comment-count"]');
    if (counter) {
      counter.textContent = counter.textContent.replace(/\d+/, function (n) { return String(Number(n) + 1); });
    }
    if (!post || data.mine) return;
    if (document.getElementById("comment-" + data.comment_id)) return;
    var list = document.querySelector('[data-testid="comments"]');
    if (!list) return;
    newComments += 1;
    var notice = document.querySelector('[data-testid="live-new-comments"]');
    if (!notice) {
      notice = document.createElement("button");
      notice.type = "button";
      notice.className = "live-notice";
      notice.setAttribute("data-testid", "live-new-comments");
      notice.setAttribute("aria-live", "polite");
      notice.addEventListener("click", function () { window.location.reload(); });
      list.parentNode.insertBefore(notice, list);
    }
    notice.textContent = (newComments === 1 ? "1 new comment" : newComments + " new comments") + " — show";
  }

  function onStatus(data) {
    var scope = postScope(data.post_id);
    if (!scope) return;
    var pill = scope.querySelector('[data-testid="status-pill"]');
    if (!pill) return;
    pill.textContent = data.status;
    if (data.color) pill.style.setProperty("--pill", data.color);
    pill.classList.add("live-flash");
    window.setTimeout(function () { pill.classList.remove("live-flash"); }, 1500);
  }

  function handler(fn) {
    return function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      fn(data);
    };
  }

  var source = new EventSource(url, { withCredentials: true });
  /* "ready": subscribed, nothing from now on can be missed. */
  source.addEventListener("ready", function () { body.setAttribute("data-live-state", "ready"); });
  source.addEventListener("error", function () { body.setAttribute("data-live-state", "reconnecting"); });
  source.addEventListener("vote.toggled", handler(onVote));
  source.addEventListener("comment.created", handler(onComment));
  source.addEventListener("post.status_changed", handler(onStatus));
  source.addEventListener("stale", function () {
    /* Offline for too long to catch up event by event: offer a fresh page. */
    source.close();
    var notice = document.createElement("button");
    notice.type = "button";
    notice.className = "live-notice live-stale";
    notice.setAttribute("data-testid", "live-stale");
    notice.textContent = "This page missed some updates — reload";
    notice.addEventListener("click", function () { window.location.reload(); });
    var main = document.querySelector("main") || body;
    main.insertBefore(notice, main.firstChild);
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
