/* monoboard: drop or paste images into a form's image field. The plain
   <input type=file multiple> works without this file. */
(function () {
  "use strict";
  if (!window.DataTransfer) return;

  function isImage(file) {
    return file && /^image\//.test(file.type || "");
  }

  function showNames(zone, input) {
    var list = zone.querySelector(".image-drop-list");
    if (!list) return;
    list.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (file) {
      var item = document.createElement("li");
      item.textContent = file.name || "pasted image";
      list.appendChild(item);
    });
  }

  function addFiles(zone, files) {
    var input = zone.querySelector("input[type=file]");
    var images = Array.prototype.filter.call(files || [], isImage);
    if (!input || !images.length) return false;
    var merged = new DataTransfer();
    Array.prototype.forEach.call(input.files || [], function (file) { merged.items.add(file); });
    images.forEach(function (file, index) {
      var name = file.name && file.name !== "image.png" ? file.name : "pasted-" + (index + 1) + ".png";
      merged.items.add(new File([file], name, { type: file.type }));
    });
    input.files = merged.files;
    showNames(zone, input);
    return true;
  }

  function zoneOf(node) {
    var form = node && node.closest ? node.closest("form") : null;
    return form ? form.querySelector("[data-image-drop]") : null;
  }

  document.addEventListener("dragover", function (event) {
    var zone = zoneOf(event.target);
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("is-over");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event.target);
    if (zone) zone.classList.remove("is-over");
  });
  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    if (!zone) return;
    zone.classList.remove("is-over");
    if (event.dataTransfer && addFiles(zone, event.dataTransfer.files)) event.preventDefault();
  });
  document.addEventListener("paste", function (event) {
    var zone = zoneOf(event.target);
    if (!zone || !event.clipboardData) return;
    if (addFiles(zone, event.clipboardData.files)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    var zone = input.closest("[data-image-drop]");
    if (zone) showNames(zone, input);
  });
})();
