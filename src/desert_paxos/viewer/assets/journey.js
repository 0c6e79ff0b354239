// The log view follows the time cursor (viewer/_journey.py): viewer.js sends "desert-time"
// whenever it draws a time; each cell is marked by its own times (whole numbers, data-*).
(() => {
  "use strict";
  const WORDS = { open: "", chosen: "chosen, not known here", known: "known", executed: "executed" };
  const num = (v) => (v === undefined ? null : Number(v));
  function stateAt(t, d) { // the same rule as cell_state in viewer/_journey.py
    const chosen = num(d.chosen), known = num(d.known), executed = num(d.executed);
    if (executed !== null && executed <= t) return "executed";
    if (known !== null && known <= t) return "known";
    if (chosen !== null && chosen <= t) return "chosen";
    return "open";
  }
  function mark(t) {
    const view = document.getElementById("log-view");
    if (!view) return;
    for (const cell of view.querySelectorAll("td[data-night]")) {
      const state = stateAt(t, cell.dataset);
      cell.classList.remove("open", "chosen", "known", "executed");
      cell.classList.add(state);
      cell.dataset.state = state;
      const now = cell.querySelector(".now");
      if (now) now.textContent = WORDS[state] ? "[" + WORDS[state] + "]" : "";
    }
    for (const row of view.querySelectorAll("tbody tr")) { // the night's "chosen" cell
      const some = row.querySelector("td[data-night]");
      const chosen = some ? num(some.dataset.chosen) : null;
      if (row.cells.length < 2) continue;
      row.cells[1].classList.toggle("chosen", chosen !== null && chosen <= t);
      row.cells[1].classList.toggle("open", !(chosen !== null && chosen <= t));
    }
  }
  document.addEventListener("desert-time", (e) => mark(Number(e.detail.t)));
})();
