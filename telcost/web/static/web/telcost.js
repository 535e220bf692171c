// The pages' few behaviours, bound here instead of inline on* handlers or hx-on attributes:
// the Content-Security-Policy allows scripts only from our own static files (settings.SECURE_CSP).
// Templates ask for a behaviour with a data- attribute; listeners sit on the document, so content
// htmx swaps in later works the same.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function closeMenus(except) {
    document.querySelectorAll("nav.menus details[open]").forEach(function (menu) {
      if (!except || !menu.contains(except)) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    // A menu closes when the user clicks elsewhere or presses Escape; one is open at a time.
    closeMenus(event.target);
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = byId(opener.dataset.openDialog);
      if (dialog) dialog.showModal();
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var own = closer.closest("dialog");
      if (own) own.close();
    }
  });

  // <input type="checkbox" data-check-all="NAME">: ticks or clears every NAME checkbox of its form.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("[data-check-all]") || !all.form) return;
    all.form.querySelectorAll('input[type="checkbox"][name="' + all.dataset.checkAll + '"]')
      .forEach(function (box) { box.checked = all.checked; });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches("[data-submit-on-change]") && field.form) {
      field.form.submit();
    } else if (field.matches("[data-navigate-query]")) {
      window.location.search = "?" + encodeURIComponent(field.dataset.navigateQuery) + "=" +
        encodeURIComponent(field.value);
    }
  });

  // <form data-after-request-close="dialog-id" data-after-request-hide="element-id">: once its
  // htmx request is answered, the dialog closes and the element (the button that opened it) hides.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest ? event.target.closest("[data-after-request-close]") : null;
    if (!form) return;
    var dialog = byId(form.dataset.afterRequestClose);
    if (dialog) dialog.close();
    var hide = form.dataset.afterRequestHide && byId(form.dataset.afterRequestHide);
    if (hide) hide.style.display = "none";
  });

  // <a data-auto-download href="...">: a file that became ready downloads by itself once shown;
  // the link stays for a second try.
  function autoDownload(root) {
    var links = root.querySelectorAll
      ? Array.prototype.slice.call(root.querySelectorAll("[data-auto-download]")) : [];
    if (root.matches && root.matches("[data-auto-download]")) links.push(root);
    links.forEach(function (link) { window.location.assign(link.getAttribute("href")); });
  }
  if (window.htmx) {
    window.htmx.onLoad(autoDownload);
  } else {
    document.addEventListener("DOMContentLoaded", function () { autoDownload(document.body); });
  }

  // "2026-09" as the page's language names it ("september 2026"), as the server's month_name does.
  function monthName(value) {
    var parts = /^(\d{4})-(\d{2})$/.exec(value || "");
    if (!parts) return value;
    var day = new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, 1));
    return new Intl.DateTimeFormat(document.documentElement.lang || "nl",
      { month: "long", year: "numeric", timeZone: "UTC" }).format(day);
  }

  // Admin → Recalculate Totals: the confirmation names the customer and months chosen.
  var recalcOpen = byId("recalc-open-confirm");
  if (recalcOpen) {
    recalcOpen.addEventListener("click", function () {
      var select = byId("recalc-customer");
      var start = byId("recalc-start").value, end = byId("recalc-end").value || start;
      byId("confirm-customer").textContent = select.options[select.selectedIndex].text;
      byId("confirm-dates").textContent = start === end ? monthName(start) : monthName(start) + " – " + monthName(end);
      byId("confirm-dialog").showModal();
    });
  }
})();
