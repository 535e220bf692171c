// Charts, drawn with the vendored Chart.js 4 (vendor/chart.umd.min.js, loaded before this file).
//
// The convention every page uses: a <canvas data-chart="ID"> and, anywhere on the page,
// {{ config|json_script:"ID" }} holding a Chart.js config {type, data, options}. The
// Content-Security-Policy forbids inline scripts, so a config is plain JSON and carries no
// callbacks; what needs one is asked for by a flag in `options`:
//   options.telcostMoney: true   the value axis and the tooltips show euros in the page's
//                                language (nl "€ 7.482,31", en "€7,482.31").
// Canvases that htmx swaps in later are drawn too; a redrawn canvas replaces its old chart.
(function () {
  "use strict";

  function language() {
    return document.documentElement.lang || "nl";
  }

  function moneyFormat() {
    return new Intl.NumberFormat(language(), {
      style: "currency", currency: "EUR", minimumFractionDigits: 2, maximumFractionDigits: 2,
    });
  }

  function withMoney(config) {
    var options = config.options || (config.options = {});
    if (!options.telcostMoney) return config;
    var format = moneyFormat();
    var money = function (value) {
      return value === null || value === undefined ? "—" : format.format(Number(value));
    };
    var horizontal = options.indexAxis === "y";
    var scales = options.scales || (options.scales = {});
    var axis = scales[horizontal ? "x" : "y"] || (scales[horizontal ? "x" : "y"] = {});
    axis.ticks = axis.ticks || {};
    axis.ticks.callback = function (value) { return money(value); };
    var plugins = options.plugins || (options.plugins = {});
    var tooltip = plugins.tooltip || (plugins.tooltip = {});
    tooltip.callbacks = tooltip.callbacks || {};
    tooltip.callbacks.label = function (context) {
      var value = horizontal ? context.parsed.x : context.parsed.y;
      var name = context.dataset.label ? context.dataset.label + ": " : "";
      return name + money(value);
    };
    return config;
  }

  function draw(canvas) {
    if (!window.Chart) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var config;
    try {
      config = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, withMoney(config));
  }

  function drawAll(root) {
    var canvases = root.querySelectorAll ? root.querySelectorAll("canvas[data-chart]") : [];
    Array.prototype.forEach.call(canvases, draw);
    if (root.matches && root.matches("canvas[data-chart]")) draw(root);
  }

  if (window.htmx) {
    window.htmx.onLoad(drawAll);  // the first page load and every swap
  } else {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document.body); });
  }
})();
