// Desert Paxos explore mode. Theory of operation:
// The server walks the model checker's own successor function; this page shows the walk. The
// URL holds the desert's options and the path (move numbers joined by dots), so a link brings
// anyone back to the same state. Each answer carries the path's trace as the viewer's data
// (drawn by viewer.js, mounted afresh) and the enabled moves, each said in the story voice.
// "Find the shortest counterexample" runs the checker; the path it finds is played on the
// diagram with the viewer's own play button. Texts are set with textContent, never as HTML.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("viewer-root");
  const pristine = root.innerHTML;
  const FIELDS = ["caravans", "proposers", "variant", "max_round", "crashes"];
  const FLAGS = ["loss", "duplicate", "self_delay"];
  let ws = null, viewer = null, abort = null, variants = [], current = null, retries = 0;

  function connect() {
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/explore");
    ws.onmessage = (e) => receive(JSON.parse(e.data));
    ws.onopen = () => { retries = 0; };
    ws.onclose = () => {
      verdict("The connection to the server was lost; reconnecting…", false);
      if (retries < 30) setTimeout(connect, 300 * Math.min(10, ++retries));
    };
  }
  const send = (m) => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); };
  window.desertExplore = { send, get current() { return current; }, get viewer() { return viewer; } };

  function receive(m) {
    switch (m.type) {
      case "hello": variants = m.variants; fillVariants(); openFromUrl(); break;
      case "explore": show(m); break;
      case "searching": verdict("Searching breadth-first…", false); break;
      case "verdict": verdict(m.text, false); break;
      case "error": problems(m.problems); break;
      default: break;
    }
  }
  function fillVariants() {
    const sel = $("ex-variant");
    sel.textContent = "";
    for (const v of variants) { const o = document.createElement("option"); o.value = v.name; o.textContent = v.name; o.title = v.lesson; sel.appendChild(o); }
  }
  function optionsFromForm() {
    const o = {};
    for (const f of FIELDS) o[f] = f === "variant" ? $("ex-" + f).value : Number($("ex-" + f).value);
    for (const f of FLAGS) o[f] = $("ex-" + f).checked;
    return o;
  }
  function formFrom(params) {
    for (const f of FIELDS) if (params.get(f) !== null) $("ex-" + f).value = params.get(f);
    for (const f of FLAGS) $("ex-" + f).checked = params.get(f) === "1";
  }
  function openFromUrl() {
    const params = new URLSearchParams(location.search);
    formFrom(params);
    const options = optionsFromForm();
    if (params.get("invariants")) options.invariants = params.get("invariants");
    send({ op: "open", options, path: params.get("path") || "" });
  }
  $("ex-variant").addEventListener("change", () => { // a broken variant brings the faults it needs
    const v = variants.find((x) => x.name === $("ex-variant").value);
    if (!v) return;
    for (const [field, value] of Object.entries(v.needs)) {
      const el = $("ex-" + field);
      if (!el) continue;
      if (el.type === "checkbox") el.checked = !!value; else el.value = String(value);
    }
  });
  $("explore-form").addEventListener("submit", (e) => { e.preventDefault(); verdict("", false); send({ op: "open", options: optionsFromForm(), path: "" }); });
  $("ex-back").addEventListener("click", () => send({ op: "back" }));
  $("ex-counter").addEventListener("click", () => send({ op: "counterexample" }));

  function show(m) {
    current = m;
    problems([]);
    history.replaceState(null, "", "/explore?" + m.query);
    formFrom(new URLSearchParams(m.query));
    $("ex-share").href = "/explore?" + m.query;
    $("ex-share").title = location.origin + "/explore?" + m.query;
    $("ex-steps").textContent = "(" + m.path.length + " move" + (m.path.length === 1 ? "" : "s") + ")";
    $("explore-describe").textContent = m.describe + ". Checking " + m.watching.join(", ") + " after every move.";
    if (abort) abort.abort();
    abort = new AbortController();
    root.innerHTML = pristine;
    viewer = window.DesertViewer.mount(m.data, { signal: abort.signal });
    window.desertViewer = viewer;
    viewer.setCursor(m.data.times.length - 1);
    const list = $("explore-moves");
    list.textContent = "";
    if (m.broken) verdict("Move " + m.path.length + " broke " + m.broken + ": " + m.rule + (m.verdict ? " " + m.verdict : ""), true);
    else if (m.verdict) verdict(m.verdict, false);
    else verdict(m.moves.length ? "" : "No move is enabled: this desert has nothing left to do.", false);
    for (const mv of m.moves) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.dataset.index = String(mv.index);
      b.dataset.kind = mv.kind;
      const head = document.createElement("b");
      head.textContent = mv.index + ". " + mv.label + (mv.breaks ? " — breaks " + mv.breaks : "");
      const says = document.createElement("span");
      says.className = "says";
      says.textContent = mv.says;
      b.append(head, says);
      if (mv.breaks) b.className = "breaks";
      b.addEventListener("click", () => send({ op: "move", index: mv.index }));
      li.appendChild(b);
      list.appendChild(li);
    }
    if (m.play) { viewer.setCursor(-1); document.getElementById("btn-play").click(); }
  }
  function verdict(text, broken) { const el = $("explore-verdict"); el.textContent = text; el.className = broken ? "broken" : ""; }
  function problems(items) {
    const ul = $("explore-problems");
    ul.textContent = "";
    ul.hidden = !items.length;
    for (const p of items) { const li = document.createElement("li"); li.textContent = p; ul.appendChild(li); }
  }
  connect();
})();
