// A header checkbox [data-select-all] ticks every row checkbox of its table.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("[data-select-all]")) return;
  box.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach(function (row) {
    row.checked = box.checked;
  });
});
