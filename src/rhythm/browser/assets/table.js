// The dataset page: one sortable, filterable row per sequence (data.js calls rhythmIndex).
"use strict";

const Table = {
  data: null,
  sortKey: "sequence",
  sortDir: 1,

  render(data) {
    Table.data = data;
    document.getElementById("dataset").textContent = data.dataset;
    document.title = "Rhythm · " + data.dataset;
    const s = data.summary;
    document.getElementById("summary").textContent =
      `${s.sequences} sequences (${s.ignored} ignored), ${s.flagged} with QA flags, ` +
      `${s.music} music tracks, cameras ${s.cameras.join(" ")}` +
      (s.triangulation_median_px !== null && s.triangulation_median_px !== undefined
        ? `, triangulation median ${s.triangulation_median_px} px` : "");
    const head = document.querySelector("#sequences thead tr");
    for (const col of data.columns) {
      head.append(Rhythm.el("th", { "data-key": col.key, class: col.kind, text: col.label, onclick: () => Table.sortBy(col.key) }));
    }
    const splits = new Set();
    for (const row of data.rows) for (const s of (row.splits || "").split(" ")) if (s) splits.add(s);
    const select = document.getElementById("split");
    for (const s of [...splits].sort()) select.append(Rhythm.el("option", { value: s, text: s }));
    for (const id of ["filter", "split", "problems", "ignored"]) {
      document.getElementById(id).addEventListener("input", Table.update);
    }
    const notes = document.getElementById("notes");
    for (const note of data.notes || []) notes.append(Rhythm.el("p", { class: "note", text: note }));
    Table.update();
    window.rhythmReadyAt = performance.now(); // ms since the page began to load (the scale test reads it)
    window.rhythmReady = true;
  },

  sortBy(key) {
    Table.sortDir = Table.sortKey === key ? -Table.sortDir : 1;
    Table.sortKey = key;
    Table.update();
  },

  visibleRows() {
    const terms = document.getElementById("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
    const split = document.getElementById("split").value;
    const problems = document.getElementById("problems").checked;
    const ignored = document.getElementById("ignored").checked;
    const rows = Table.data.rows.filter((row) => {
      if (row.ignored && !ignored) return false;
      if (problems && !row.flags) return false;
      if (split && !(row.splits || "").split(" ").includes(split)) return false;
      if (!terms.length) return true;
      const text = Table.data.columns.map((c) => row[c.key] ?? "").join(" ").toLowerCase();
      return terms.every((t) => text.includes(t));
    });
    const key = Table.sortKey;
    const numeric = Table.data.columns.find((c) => c.key === key).kind === "number";
    rows.sort((a, b) => {
      const x = a[key], y = b[key];
      if (x === null || x === undefined) return 1; // gaps last, either way
      if (y === null || y === undefined) return -1;
      const order = numeric ? x - y : String(x).localeCompare(String(y));
      return order * Table.sortDir || a.sequence.localeCompare(b.sequence);
    });
    return rows;
  },

  update() {
    const rows = Table.visibleRows();
    const cols = Table.data.columns;
    const html = [];
    for (const row of rows) {
      const cells = cols.map((c) => {
        let v = row[c.key];
        if (c.key === "sequence" && row.page) {
          return `<td><a href="sequence.html?seq=${encodeURIComponent(v)}">${Rhythm.escape(v)}</a></td>`;
        }
        v = c.kind === "number" && v !== null && v !== undefined && c.key !== "frames" ? Rhythm.fmt(v) : (v ?? "–");
        return `<td class="${c.kind}">${Rhythm.escape(v)}</td>`;
      });
      const cls = row.ignored ? "ignored" : row.flags ? "flagged" : "";
      html.push(`<tr class="${cls}" data-sequence="${Rhythm.escape(row.sequence)}">${cells.join("")}</tr>`);
    }
    document.querySelector("#sequences tbody").innerHTML = html.join("");
    for (const th of document.querySelectorAll("#sequences th")) {
      th.classList.toggle("sorted", th.dataset.key === Table.sortKey);
      th.classList.toggle("descending", th.dataset.key === Table.sortKey && Table.sortDir < 0);
    }
    document.getElementById("count").textContent = `${rows.length} of ${Table.data.rows.length} rows`;
  },
};

window.rhythmIndex = Table.render;
