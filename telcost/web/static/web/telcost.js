// The pages' few behaviours, bound here instead of inline on* handlers or hx-on attributes:
// the Content-Security-Policy allows scripts only from our own static files (settings.SECURE_CSP).
// Templates ask for a behaviour with a data- attribute; listeners sit on the document, so content
// htmx swaps in later works the same.
(function () {
  "use strict";

  // The narrow layout folds the menus behind a button; without this script they stay unfolded.
  document.documentElement.classList.add("js");

  function byId(id) { return document.getElementById(id); }

  // Every dialog opens through here: modal (focus inside, Escape closes), remembering its opener.
  var openers = new WeakMap();
  function openDialog(dialog) {
    openers.set(dialog, document.activeElement);
    dialog.showModal();
  }

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
      if (dialog) openDialog(dialog);
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var own = closer.closest("dialog");
      if (own) own.close();
    }
  });

  // The menu button (narrow screens): opens and closes the top bar's menus; Escape closes them.
  var menuToggle = byId("menu-toggle");
  function setMenuOpen(open) {
    if (!menuToggle) return;
    menuToggle.closest("header").classList.toggle("menu-open", open);
    menuToggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  if (menuToggle) {
    menuToggle.addEventListener("click", function () {
      setMenuOpen(menuToggle.getAttribute("aria-expanded") !== "true");
    });
  }

  // <input type="checkbox" data-check-all="NAME">: ticks or clears every NAME checkbox of its form.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("[data-check-all]") || !all.form) return;
    all.form.querySelectorAll('input[type="checkbox"][name="' + all.dataset.checkAll + '"]')
      .forEach(function (box) { box.checked = all.checked; });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var openMenu = document.querySelector("nav.menus details[open]");
    closeMenus(null);
    if (openMenu) {
      openMenu.querySelector("summary").focus();
    } else if (menuToggle && menuToggle.getAttribute("aria-expanded") === "true") {
      setMenuOpen(false);
      menuToggle.focus();
    }
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

  function selectedText(select) {
    return select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].text : "";
  }

  // <form data-confirm-activate="dialog-id">: an activation (addonsAction "activate") is sent
  // only after the dialog's #addon-confirm-agree. Caught in the capture phase, before htmx's own
  // submit listener on the form sees it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.confirmActivate) return;
    var action = form.elements.addonsAction;
    if (!action || action.value !== "activate") return;
    if (form.dataset.confirmed === "1") { delete form.dataset.confirmed; return; }
    event.preventDefault();
    event.stopPropagation();
    var dialog = byId(form.dataset.confirmActivate);
    byId("addon-confirm-addon").textContent = selectedText(form.elements.addon_type);
    byId("addon-confirm-customer").textContent = selectedText(form.elements.customer_id);
    dialog.dataset.form = form.id;
    openDialog(dialog);
    byId("addon-confirm-agree").focus();
  }, true);

  var addonAgree = byId("addon-confirm-agree");
  if (addonAgree) {
    addonAgree.addEventListener("click", function () {
      var dialog = addonAgree.closest("dialog");
      var form = byId(dialog.dataset.form);
      dialog.close();
      form.dataset.confirmed = "1";
      form.requestSubmit();
    });
  }

  // A closed dialog (Escape, Cancel, sent) gives the focus back to what opened it: keyboard users
  // stay where they were. "close" does not bubble: caught in the capture phase.
  document.addEventListener("close", function (event) {
    var opener = openers.get(event.target);
    if (opener && document.contains(opener) && !opener.disabled && opener.offsetParent !== null) {
      opener.focus();
    }
  }, true);

  // Admin → Recalculate Totals: the confirmation names the customer and months chosen; without a
  // month it says so instead (the dialog would send nothing: the browser refuses the empty field).
  var recalcOpen = byId("recalc-open-confirm");
  if (recalcOpen) {
    recalcOpen.addEventListener("click", function () {
      var select = byId("recalc-customer");
      var noMonth = byId("recalc-no-month");
      if (!byId("recalc-start").value) {
        noMonth.hidden = false;
        byId("recalc-start").focus();
        return;
      }
      noMonth.hidden = true;
      var start = byId("recalc-start").value, end = byId("recalc-end").value || start;
      byId("confirm-customer").textContent = select.options[select.selectedIndex].text;
      byId("confirm-dates").textContent = start === end ? monthName(start) : monthName(start) + " – " + monthName(end);
      openDialog(byId("confirm-dialog"));
    });
  }
})();
