/* Strata: the few things pages do in the browser. Every page works without this file; it only
   adds the menu button on phones, "select all" with a count, copy buttons and the Bitbucket
   link of the line in view. No inline handlers: everything is wired here by data attributes. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  /* The sidebar becomes a menu button on narrow screens. */
  function wireMenu() {
    var button = document.querySelector("[data-menu-toggle]");
    var nav = document.querySelector(".sidebar");
    if (!button || !nav) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  /* "Select all" ticks every box of its name on the page; a count says how many are ticked. */
  function boxes(name) {
    return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name="' + name + '"]'));
  }
  function refreshSelection() {
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      var list = boxes(all.getAttribute("data-select-all"));
      var ticked = list.filter(function (box) { return box.checked; }).length;
      all.checked = list.length > 0 && ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
    });
    document.querySelectorAll("[data-selected-count]").forEach(function (out) {
      var ticked = boxes(out.getAttribute("data-selected-count")).filter(function (box) { return box.checked; }).length;
      out.textContent = ticked ? ticked + " selected" : "";
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      boxes(target.getAttribute("data-select-all")).forEach(function (box) { box.checked = target.checked; });
    }
    refreshSelection();
  });

  /* Copy buttons: data-copy names the element whose text is copied. */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function wireCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.querySelector(button.getAttribute("data-copy"));
        if (!source) return;
        copyText(source.textContent.trim()).then(
          function () { button.textContent = "Copied"; },
          function () { button.textContent = "Select and copy it by hand"; }
        );
      });
    });
  }

  /* File view: the line in the address (#L12) also gets its link on Bitbucket (#lines-12). */
  function showLineLink() {
    var link = document.querySelector("[data-bitbucket-line]");
    var file = document.querySelector("[data-bitbucket-file]");
    if (!link || !file) return;
    var match = /^#L(\d+)$/.exec(window.location.hash);
    link.hidden = !match;
    if (match) {
      link.href = file.getAttribute("data-bitbucket-file") + "#lines-" + match[1];
      link.textContent = "Line " + match[1] + " on Bitbucket";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireMenu();
    wireCopy();
    refreshSelection();
    showLineLink();
  });
  window.addEventListener("hashchange", showLineLink);
  document.addEventListener("htmx:afterSettle", refreshSelection);
})();
