// Desert Paxos, live. Theory of operation:
// The server runs the REPL's session; this page only shows it and sends REPL lines. One
// WebSocket carries everything: {"op": "run", "line": "/crash Itri"} out; "data" (the viewer's
// data for the known history, by deltas), "at" (where the session stands: cursor, clock,
// status), "say" (narration lines) in. The desert is drawn by the viewer's own script
// (viewer.js, mountDesertViewer), mounted once per version of the data (a new scenario or seed
// starts one) and told of every change after that through its update(D), which redraws only what
// changed; a move inside the known history only moves its cursor. Dragging the slider previews
// the desert at once from the data the page holds; letting go is /goto.
// Every text from the server is set with textContent, never parsed as HTML.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const COLUMNS = ["times", "kinds", "levels", "story", "protocol", "events"];
  const SPEEDS = [1, 2, 5, 10, 20, 40, 100, 200, 500, 1000, 2000, 5000, 10000];
  const PANE_LINES = 4000; // the narration pane keeps this many lines
  const root = $("viewer-root");
  const pristine = root.innerHTML;
  const follower = location.pathname.startsWith("/follow/");
  const query = () => new URLSearchParams(location.search); // the room and key, once told
  let ws = null, D = null, version = -1, viewer = null, abort = null, at = null, mounted = -1;
  let drives = false, room = null, retries = 0, gone = false, dirty = false, dragging = false;

  // ---- the socket -----------------------------------------------------------------------
  function connect() {
    let q = "";
    if (follower) q = "?follow=" + encodeURIComponent(location.pathname.slice("/follow/".length));
    else if (query().get("room")) q = "?room=" + encodeURIComponent(query().get("room")) + "&key=" + encodeURIComponent(query().get("key") || "");
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" + q);
    ws.onopen = () => { retries = 0; notice(""); };
    ws.onmessage = (e) => { try { receive(JSON.parse(e.data)); } catch (err) { notice("could not read the server's message: " + err); } };
    ws.onclose = (e) => {
      if (gone) return;
      const why = e.code === 1009 ? " (a message was too big for the server)" : "";
      notice("The connection to the server was lost" + why + "; reconnecting…");
      if (retries < 30) setTimeout(connect, 300 * Math.min(10, ++retries));
    };
  }
  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(message)); return true; }
    notice("Not connected to the server: that was not sent.");
    return false;
  }
  const run = (line, typed) => send({ op: "run", line, typed: !!typed });
  // remount(): draw from nothing at the next frame (tests compare it with the updates' drawing).
  const remount = () => { mounted = -1; dirty = true; schedule(); };
  window.desertLive = { run, send, remount, get at() { return at; }, get data() { return D; }, get viewer() { return viewer; } };

  function receive(m) {
    switch (m.type) {
      case "hello": hello(m); break;
      case "data": merge(m); dirty = true; schedule(); break;
      case "at": at = m; schedule(); break;
      case "say": pane(m.lines, m.replace, m.error); break;
      case "gone": gone = true; notice("This session is gone (was the server restarted?). Open the teacher's page again."); break;
      case "full": gone = true; notice(m.text); break;
      default: break;
    }
  }
  function hello(m) {
    drives = m.drives; room = m.room;
    if (drives && !follower) history.replaceState(null, "", "/?room=" + encodeURIComponent(m.room) + "&key=" + encodeURIComponent(m.key));
    document.body.classList.toggle("follower", !drives);
    $("live-role").textContent = drives ? "teacher: you drive" : "following: read-only";
    const link = $("live-follow-link");
    link.href = m.follow; link.textContent = "follow link";
    link.title = "Students open this to watch the session: " + location.origin + m.follow;
    $("live-save").href = "/room/" + encodeURIComponent(m.room) + "/session.json";
    $("live-export").href = "/room/" + encodeURIComponent(m.room) + "/trace.jsonl";
    const sel = $("live-builtin");
    if (!sel.options.length) for (const name of m.builtins) { const o = document.createElement("option"); o.textContent = name; sel.appendChild(o); }
    for (const el of document.querySelectorAll("#live-panel input, #live-panel button, #live-panel select, #live-bar button, #live-slider")) {
      if (el.id !== "live-level") el.disabled = !drives;
    }
    $("live-level").disabled = !drives;
  }

  // ---- the data: the viewer's, by deltas -------------------------------------------------
  function put(array, kept, tail) { array.length = kept; for (const v of tail) array.push(v); }
  function merge(m) {
    if (m.reset || !D || m.version !== version) {
      D = {}; for (const c of COLUMNS) D[c] = m.columns[c].slice();
      Object.assign(D, m.model.set); version = m.version;
      return;
    }
    for (const c of COLUMNS) put(D[c], m.kept, m.columns[c]);
    Object.assign(D, m.model.set || {});
    for (const [key, [kept, tail]] of Object.entries(m.model.tails || {})) put(D[key], kept, tail);
    if (m.model.lanes) m.model.lanes.forEach(([kept, tail], i) => put(D.states[i], kept, tail));
  }

  // ---- drawing: at most once a frame -----------------------------------------------------------
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }
  function draw() {
    if (!D) return;
    const now = at && at.version === version;
    if (now) showAt(); // first: the bar and a notice may move the viewer's edges, which it reads
    if (viewer && dirty && mounted === version) {
      dirty = false;
      // A copy: the viewer reshapes some of its lists, and the page keeps merging into D.
      viewer.update(Object.assign({}, D));
    } else if (dirty || !viewer) {
      dirty = false;
      mounted = version;
      const keep = viewer ? viewer.keep() : null;
      if (abort) abort.abort();
      abort = new AbortController();
      root.innerHTML = pristine;
      // A copy: the viewer reshapes some of its lists, and the page keeps merging into D.
      viewer = window.DesertViewer.mount(Object.assign({}, D), { signal: abort.signal, keep, onTime: travel });
      window.desertViewer = viewer;
      hookViewer();
    }
    if (now && !dragging) viewer.show(at.cursor, at.t);
    viewer.flush(); // drawn in this frame
  }
  let shown = null;
  function showAt() {
    if (shown === at) return;
    shown = at;
    const slider = $("live-slider");
    slider.max = String(Math.max(at.frontierT, at.t));
    if (!dragging) slider.value = String(at.t);
    $("live-clock").textContent = at.status;
    $("live-play").textContent = at.playing ? "❚❚ pause" : "▶ play";
    $("live-level").value = at.level;
    const sp = $("live-speed");
    if (document.activeElement !== sp) sp.value = String(at.speed);
    if (at.forked) notice("You acted in the past: the old future (" + at.forked + " step" + (at.forked === 1 ? "" : "s") +
      ") was discarded, and from here the desert takes a new course.", "fork");
    document.body.dataset.acts = String(at.acts);
  }
  function travel(t) { // a click on the diagram or a "go to" button: the session travels
    if (drives) run("/goto " + Math.round(t));
  }

  // ---- the desert by hand: clicks on the viewer's map --------------------------------------------
  function hookViewer() {
    const map = $("map");
    map.addEventListener("click", (e) => {
      if (!drives) return;
      const rider = e.target.closest("circle.rider[data-id]");
      if (rider) { run("/drop " + rider.dataset.id); return; }
      const caravan = e.target.closest("g.caravan[data-caravan]");
      if (caravan) openMenu(caravan, e);
    });
  }
  const menu = $("live-menu");
  let menuFor = null;
  function openMenu(g, e) {
    menuFor = g.dataset.caravan;
    const down = g.dataset.status === "collapsed";
    $("live-menu-title").textContent = menuFor + (down ? " (collapsed)" : "");
    $("live-menu-crash").hidden = down;
    $("live-menu-recover").hidden = !down;
    $("live-menu-propose").hidden = down;
    menu.hidden = false;
    menu.style.left = Math.min(window.innerWidth - 220, e.clientX + 8) + "px";
    menu.style.top = Math.min(window.innerHeight - 160, e.clientY + 8) + "px";
    e.stopPropagation();
  }
  function closeMenu() { menu.hidden = true; menuFor = null; }
  document.addEventListener("click", (e) => { if (!menu.hidden && !menu.contains(e.target)) closeMenu(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeMenu(); });
  $("live-menu-crash").addEventListener("click", () => { run("/crash " + menuFor); closeMenu(); });
  $("live-menu-recover").addEventListener("click", () => { run("/recover " + menuFor); closeMenu(); });
  $("live-menu-why").addEventListener("click", () => { run("/why " + menuFor, true); closeMenu(); });
  $("live-menu-propose").addEventListener("submit", (e) => {
    e.preventDefault();
    const site = $("live-menu-campsite").value.trim();
    if (site) { run("/propose " + menuFor + " " + site); closeMenu(); }
  });

  // ---- time -------------------------------------------------------------------------------------------
  for (const s of SPEEDS) { const o = document.createElement("option"); o.value = String(s); o.textContent = s + " t/s"; $("live-speed").appendChild(o); }
  $("live-speed").value = "40";
  $("live-step").addEventListener("click", () => run("/step"));
  $("live-back").addEventListener("click", () => run("/back"));
  $("live-play").addEventListener("click", () => send(at && at.playing ? { op: "pause" } : { op: "play", speed: Number($("live-speed").value) }));
  $("live-speed").addEventListener("change", () => send({ op: "speed", speed: Number($("live-speed").value) }));
  const slider = $("live-slider");
  slider.addEventListener("input", () => { // preview: the page has the known history's data
    dragging = true;
    if (viewer) viewer.setTime(Number(slider.value));
  });
  slider.addEventListener("change", () => { dragging = false; run("/goto " + slider.value); });
  // The viewer's own keys would move only the page; here they move the session.
  window.addEventListener("keydown", (e) => {
    const tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (!["ArrowRight", "ArrowLeft", " ", "Home", "End"].includes(e.key)) return;
    e.preventDefault(); e.stopPropagation();
    if (!drives) return;
    if (e.key === "ArrowRight") run("/step");
    else if (e.key === "ArrowLeft") run("/back");
    else if (e.key === " ") $("live-play").click();
    else if (e.key === "Home") run("/goto 0");
  }, true);

  // ---- narration and the command box ----------------------------------------------------------------
  const paneEl = $("live-pane");
  let paneLines = [];
  function pane(lines, replace, error) {
    if (replace) paneLines = [];
    const atBottom = paneEl.scrollTop + paneEl.clientHeight >= paneEl.scrollHeight - 8;
    paneLines.push(...lines.map((text) => ({ text, error: !!error && !text.startsWith(">>> ") })));
    if (paneLines.length > PANE_LINES) paneLines = paneLines.slice(-PANE_LINES);
    if (replace || paneEl.childNodes.length > PANE_LINES) {
      paneEl.textContent = "";
      for (const l of paneLines) paneEl.appendChild(line(l));
    } else {
      for (const l of lines.slice(-PANE_LINES)) paneEl.appendChild(line({ text: l, error: !!error && !l.startsWith(">>> ") }));
    }
    if (atBottom || replace) paneEl.scrollTop = paneEl.scrollHeight;
  }
  function line(l) {
    const div = document.createElement("div");
    div.textContent = l.text;
    if (l.error) div.className = "error";
    else if (l.text.startsWith(">>> ")) div.className = "typed";
    return div;
  }
  $("live-command").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("live-line");
    if (input.value.trim() && run(input.value, true)) input.value = "";
  });
  $("live-level").addEventListener("change", () => run("/log " + $("live-level").value));

  // ---- sandstorms, loss, delay ---------------------------------------------------------------------------
  function groupPickers() { // one select per caravan: the group it stands in
    const box = $("live-groups");
    const names = D ? D.caravans : [];
    if (box.dataset.names === names.join("|")) return;
    box.dataset.names = names.join("|");
    box.textContent = "";
    names.forEach((name, i) => {
      const label = document.createElement("label");
      label.textContent = name + " ";
      const sel = document.createElement("select");
      sel.dataset.caravan = name;
      for (let g = 1; g <= Math.min(4, names.length); g++) { const o = document.createElement("option"); o.value = String(g); o.textContent = "group " + g; sel.appendChild(o); }
      sel.value = i < names.length / 2 ? "1" : "2";
      sel.disabled = !drives;
      label.appendChild(sel);
      box.appendChild(label);
    });
  }
  setInterval(groupPickers, 500); // the caravans change only with the scenario
  $("live-storm").addEventListener("click", () => {
    const groups = new Map();
    for (const sel of $("live-groups").querySelectorAll("select")) {
      if (!groups.has(sel.value)) groups.set(sel.value, []);
      groups.get(sel.value).push(sel.dataset.caravan);
    }
    run("/sandstorm " + Array.from(groups.keys()).sort().map((g) => groups.get(g).join(",")).join(" | "));
  });
  $("live-storm-typed").addEventListener("submit", (e) => { e.preventDefault(); run("/sandstorm " + $("live-storm-text").value); });
  $("live-calm").addEventListener("click", () => run("/calm"));
  $("live-loss-form").addEventListener("submit", (e) => { e.preventDefault(); run("/loss " + $("live-loss").value.trim()); });
  $("live-delay-form").addEventListener("submit", (e) => {
    e.preventDefault();
    run("/delay " + $("live-delay-min").value.trim() + " " + $("live-delay-max").value.trim());
  });

  // ---- scenarios: built-in, uploaded ---------------------------------------------------------------------
  $("live-load").addEventListener("click", () => run("/load " + $("live-builtin").value));
  const problems = $("live-problems");
  function showProblems(items, head) {
    problems.textContent = "";
    problems.hidden = !items.length;
    if (head) { const li = document.createElement("li"); li.className = "head"; li.textContent = head; problems.appendChild(li); }
    for (const p of items) {
      const li = document.createElement("li");
      const where = document.createElement("code");
      where.textContent = p.path || "(the whole file)";
      li.appendChild(where);
      li.appendChild(document.createTextNode(": " + p.message));
      problems.appendChild(li);
    }
  }
  $("live-upload").addEventListener("change", async () => {
    const file = $("live-upload").files[0];
    if (!file || !drives) return;
    showProblems([]);
    try {
      const url = "/room/" + encodeURIComponent(room) + "/upload?key=" + encodeURIComponent(query().get("key") || "") +
        "&name=" + encodeURIComponent(file.name);
      const answer = await fetch(url, { method: "POST", body: file });
      const body = await answer.json();
      if (!body.ok) {
        const more = body.count > body.problems.length ? " (the first " + body.problems.length + " of " + body.count + ")" : "";
        showProblems(body.problems, file.name + " was not loaded: " + (body.count || body.problems.length) + " problem(s)" + more);
      }
    } catch (err) {
      showProblems([{ path: "", message: "the upload failed: " + err }]);
    }
    $("live-upload").value = "";
  });

  // ---- notices ------------------------------------------------------------------------------------------
  let noticeTimer = 0;
  function notice(text, kind) {
    const el = $("live-notice");
    el.textContent = text;
    el.hidden = !text;
    el.className = kind || "";
    clearTimeout(noticeTimer);
    if (text && kind === "fork") noticeTimer = setTimeout(() => { el.hidden = true; }, 8000);
  }

  connect();
})();
