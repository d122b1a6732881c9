/* monoboard: small progressive enhancements. Every page works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A new API key's secret is selected on focus, ready to copy.
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.classList.contains("api-key-secret")) {
      input.select();
    }
  });

  // Votes: send the form with fetch and update the button from the JSON reply.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote-form")) return;
    if (!window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("[data-testid=vote-button]");
    var count = form.querySelector("[data-testid=vote-count]");
    var error = form.querySelector("[data-testid=vote-error]");
    if (!button || button.classList.contains("is-busy")) return;
    button.classList.add("is-busy");
    if (error) error.textContent = "";
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      })
      .then(function (reply) {
        if (reply.status === 401 && reply.data.signin_url) {
          window.location.href = reply.data.signin_url;
          return;
        }
        if (reply.status !== 200) {
          // Shown beside the button and announced (aria-live), not in a dialog.
          var text = reply.data.error || "Your vote could not be saved. Please try again.";
          if (error) error.textContent = text;
          return;
        }
        button.classList.toggle("is-voted", reply.data.voted);
        button.setAttribute("aria-pressed", reply.data.voted ? "true" : "false");
        var label = button.getAttribute(reply.data.voted ? "data-label-unvote" : "data-label-vote");
        if (label) button.setAttribute("aria-label", label);
        count.textContent = String(reply.data.vote_count);
      })
      .catch(function () { form.submit(); })
      .finally(function () { button.classList.remove("is-busy"); });
  });

  // Copy buttons: data-copy names the id of the field whose value is copied.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!(field instanceof HTMLInputElement)) return;
    var done = function () {
      button.textContent = "Copied";
      var status = document.getElementById(button.getAttribute("data-copy") + "-copied");
      if (status) status.textContent = "The key is copied to the clipboard.";
    };
    field.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (document.execCommand("copy")) done();
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  });

  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) event.preventDefault();
  });

  // Filters apply as soon as they change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof Element && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });
})();
