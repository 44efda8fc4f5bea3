// Ops dashboard: draws the charts from the numbers the server embedded (#chart-data) with Chart.js.
"use strict";
(function () {
  const source = document.getElementById("chart-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const words = JSON.parse(document.getElementById("chart-words").textContent);
  const blue = "#1f5fd6", orange = "#c25e00", green = "#1b7f3b", purple = "#6b3fa0";
  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  function bars(id, pairs, label, colour) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels: pairs.map(function (p) { return p[0]; }),
              datasets: [{ label: label, data: pairs.map(function (p) { return p[1]; }), backgroundColor: colour }] },
      options: Object.assign({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }, common),
    });
  }

  function lines(id, labels, series) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: series.map(function (s) {
        return { label: s[0], data: s[1], borderColor: s[2], backgroundColor: s[2], yAxisID: s[3] || "y", spanGaps: true };
      }) },
      options: Object.assign({ scales: {
        y: { beginAtZero: true },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, display: "auto" },
      } }, common),
    });
  }

  bars("chart-channels", data.channels, words.tickets, blue);
  bars("chart-categories", data.categories, words.tickets, purple);
  bars("chart-queues", data.queues, words.open, orange);
  const trend = data.trends;
  lines("chart-speed", trend.days, [[words.frt + " (min)", trend.frt_min, blue], [words.ttr + " (min)", trend.ttr_min, orange]]);
  const fcr = trend.fcr.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; });
  lines("chart-quality", trend.days, [[words.csat, trend.csat, green], [words.nps, trend.nps, purple, "y1"],
                                      [words.fcr + " (%)", fcr, orange, "y1"]]);
})();
