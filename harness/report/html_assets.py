"""The inline CSS and JavaScript of the HTML report (no CDN, no network: the page opens from
disk). The script sorts the summary table when a header is clicked (numbers by their exact
`data-v` value, text otherwise; a second click reverses) and filters its rows by the model,
variant and target selects; `#shown` counts the visible rows."""
from __future__ import annotations

__all__ = ["CSS", "SCRIPT"]

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; }
#summary td { white-space: nowrap; }
#summary th { cursor: pointer; user-select: none; white-space: nowrap; }
#summary th[data-dir=asc]::after { content: " \\25B2"; }
#summary th[data-dir=desc]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.prov { font-size: .75em; color: #555; background: #eef; border-radius: 3px; padding: 0 3px; }
.prov.modelled { background: #fde9c9; font-style: italic; }
.filters label { margin-right: 1em; }
.fail { color: #b00020; font-weight: bold; } .pass { color: #1b7f3b; font-weight: bold; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .85em; color: #555; }
pre { white-space: pre-wrap; word-break: break-all; font-size: .8em; background: #f7f7f7;
      padding: 4px; margin: 2px 0; }
details { margin: 2px 0; }
"""

SCRIPT = """
(function () {
  const table = document.getElementById('summary');
  const body = table.tBodies[0];
  const selects = Array.from(document.querySelectorAll('.filters select'));
  function key(cell) {
    const v = cell.dataset.v;
    if (v !== undefined && v !== '' && !isNaN(Number(v))) return [0, Number(v)];
    if (v === '') return [2, ''];
    return [1, cell.textContent.trim().toLowerCase()];
  }
  function compare(a, b) {
    if (a[0] !== b[0]) return a[0] - b[0];
    return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  }
  Array.from(table.tHead.rows[0].cells).forEach(function (th, col) {
    th.addEventListener('click', function () {
      const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
      Array.from(table.tHead.rows[0].cells).forEach(function (h) { delete h.dataset.dir; });
      th.dataset.dir = dir;
      const rows = Array.from(body.rows);
      rows.sort(function (r1, r2) {
        const c = compare(key(r1.cells[col]), key(r2.cells[col]));
        return dir === 'asc' ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  function filter() {
    let shown = 0;
    Array.from(body.rows).forEach(function (r) {
      const ok = selects.every(function (s) { return !s.value || r.dataset[s.name] === s.value; });
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    document.getElementById('shown').textContent = String(shown);
  }
  selects.forEach(function (s) { s.addEventListener('change', filter); });
  filter();
})();
"""
