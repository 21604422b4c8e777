// Hover values and series toggles for the server-drawn SVG charts (tracker/web/charts.py).
document.querySelectorAll("button.toggle").forEach(function (button) {
  button.addEventListener("click", function () {
    var on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var chart = document.getElementById(button.dataset.chart);
    chart.querySelectorAll("g.series").forEach(function (group) {
      if (group.dataset.series === button.dataset.series) {
        group.style.display = on ? "" : "none";
      }
    });
  });
});
document.querySelectorAll("svg.chart").forEach(function (chart) {
  var tip = document.getElementById(chart.id + "-tip");
  chart.querySelectorAll("circle").forEach(function (point) {
    point.addEventListener("mouseenter", function () {
      tip.textContent = point.dataset.series + " " + point.dataset.label + ": " + point.dataset.value +
        (point.dataset.partial ? " (partial)" : "");
      point.setAttribute("r", "6");
    });
    point.addEventListener("mouseleave", function () {
      point.setAttribute("r", "4");
    });
  });
});
