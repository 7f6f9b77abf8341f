"use strict";
// Sort the growth table by a clicked header, filter its rows by type name.
// Only textContent and attributes are read or written: no markup from data.
(function () {
  var table = document.getElementById("growth-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var headers = table.tHead.rows[0].cells;
  var filter = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var total = body.rows.length;

  function value(row, col, numeric) {
    var v = row.cells[col].getAttribute("data-v") || "";
    return numeric ? Number(v) : v.toLowerCase();
  }

  function sortBy(col) {
    var th = headers[col];
    var numeric = th.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    // numbers: biggest first on the first click; names: a to z
    var dir = current === "descending" ? 1 : current === "ascending" ? -1 : (numeric ? -1 : 1);
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, col, numeric), y = value(b, col, numeric);
      if (x < y) { return -dir; }
      if (x > y) { return dir; }
      return 0;
    });
    for (var i = 0; i < headers.length; i++) { headers[i].setAttribute("aria-sort", "none"); }
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function applyFilter() {
    var q = filter.value.trim().toLowerCase();
    var n = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      var hit = !q || value(r, 0, false).indexOf(q) !== -1;
      r.hidden = !hit;
      if (hit) { n++; }
    });
    shown.textContent = q ? n + " of " + total + " types shown" : "";
  }

  Array.prototype.forEach.call(headers, function (th, col) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(col); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(col); }
    });
  });
  filter.addEventListener("input", applyFilter);
})();
