// Rule docs open and close on click; tables with `th[data-sort]` sort by the clicked column
// (numbers by their `data-value`), ascending first, descending on the next click.
(function () {
  "use strict";
  function toggleDoc(button) {
    var doc = document.getElementById(button.getAttribute("data-doc"));
    if (!doc) return;
    doc.hidden = !doc.hidden;
    document.querySelectorAll('button[data-doc="' + doc.id + '"]').forEach(function (b) {
      b.setAttribute("aria-expanded", String(!doc.hidden));
    });
    if (!doc.hidden && doc.scrollIntoView) doc.scrollIntoView({ block: "nearest" });
  }
  function key(row, column, numeric) {
    var cell = row.cells[column];
    if (!cell) return numeric ? 0 : "";
    if (numeric) return parseFloat(cell.getAttribute("data-value") || cell.textContent) || 0;
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(th) {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var column = th.cellIndex;
    var numeric = th.getAttribute("data-sort") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, column, numeric), y = key(b, column, numeric);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[data-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-doc]");
    if (button) { toggleDoc(button); return; }
    var th = event.target.closest("th[data-sort]");
    if (th) sortBy(th);
  });
})();
