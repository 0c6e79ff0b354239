// Desert Paxos viewer. Theory of operation:
// The page's JSON (built in Python from the trace) holds the events, both voices of each, the
// riders (one per message copy), storms, outages, lane marks and per-caravan state snapshots.
// The script never re-derives protocol state: it looks it up. The time cursor is a tick `t`
// (fractional while playing) and the index of the last event at or before it.
// The space-time diagram is one tall SVG of which only a band around the view is drawn, found
// through a time-bucket index of the riders; the band is redrawn only when scrolling leaves it
// or a filter, selection or zoom changes. Moving the time cursor only moves the cursor line and
// the veil that fogs the future, so scrubbing a 10,000-event trace costs a few attributes.
// Labels on the diagram are placed once per layout (zoom, width, filters): a greedy pass, most
// important first, measures each with a canvas and moves or hides it rather than let it overlap.
// Words: the glossary's (banner = ballot, vote = accepted proposal, majority = quorum, ...).
// One function draws a run into the page's viewer elements: a page made by `export --html` mounts
// its own JSON at load; the live page of `desert-paxos serve` mounts its session's data once and
// hands each new state of it to the mount's `update(D)` (new events, a forked future cut): the
// derived lists are built again and only what changed is drawn again, the same drawing a fresh
// mount of that data makes. `opts`: `signal` (an AbortSignal ending the document's listeners),
// `onTime(t)` (the user moved the time: the session travels, not the page), `keep` (the view to
// carry over from a previous mount: zoom, scroll, filters, selection).
function mountDesertViewer(D, opts) {
  "use strict";
  opts = opts || {};
  const listen = { signal: opts.signal };
  const $ = (id) => document.getElementById(id);
  const NS = "http://www.w3.org/2000/svg";
  const TYPES = ["prepare", "promise", "accept", "accepted", "nack", "decided", "inquire"];
  const FATE = ["delivered", "dropped", "riding"];
  const REASON_SHORT = { loss: "lost", sandstorm: "storm", crashed: "collapsed", hand: "dropped" };
  const REASON_LONG = {
    loss: "lost in the dunes", sandstorm: "a sandstorm stands in the way",
    crashed: "its caravan has collapsed", hand: "taken off the sand by hand",
  };
  // Each message type: its name on the filters and the legend (the story voice's own words, from
  // the page's data), and what the rider says.
  const TYPE_SAYS = {
    prepare: "will you promise to follow my banner? (prepare)",
    promise: "I follow your banner, and tell any vote I cast (promise)",
    accept: "will you vote for this campsite under my banner? (accept)",
    accepted: "I vote for that campsite under your banner (accepted)",
    nack: "I promised a higher banner (nack)",
    decided: "the campsite is chosen: now you know it (decided)",
    inquire: "has a campsite been chosen? (inquire)",
    other: "any other rider",
  };
  const TYPE_WORDS = Object.fromEntries(Object.entries(TYPE_SAYS).map(([ty, says]) => [ty, [D.riderWords[ty] || ty, says]]));
  const BUBBLES = [["#faeed4", "#966e3c"], ["#d8e6f2", "#466e96"], ["#f3dae8", "#964678"], ["#e0efce", "#50823c"]];
  const STORM_TINTS = ["#f1c27d55", "#8fb3d955", "#d98fc455", "#b7d98f55"];
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const typeClass = (ty) => "t-" + (TYPES.includes(ty) ? ty : "other");
  const fmtBallot = (b) => (Array.isArray(b) && b.length === 2 ? "(" + b[0] + ", " + b[1] + ")" : "none");
  const FONT = getComputedStyle(document.body).fontFamily;
  const measure = (() => { // a label's width in px, as the browser will draw it
    const ctx = document.createElement("canvas").getContext("2d"), cache = new Map();
    return (text, size, bold) => {
      const font = (bold ? "700 " : "") + size + "px " + FONT, key = font + "|" + text;
      let w = cache.get(key);
      if (w === undefined) { ctx.font = font; w = ctx.measureText(text).width; cache.set(key, w); }
      return w;
    };
  })();
  const andList = (xs) => (xs.length < 2 ? xs.join("") : xs.slice(0, -1).join(", ") + " and " + xs[xs.length - 1]);

  const names = D.caravans; // the caravans stay for the life of a mount (update keeps them)
  // What the page looks up, derived from D: computed at mount and again by update(D) when a live
  // session's data grew or was cut (a fork), so both draw from the same lists.
  const LINGER = 60; // ticks a lost rider's cross may stay on the map
  let times, riders = [], riderById = new Map(), majorities, chosenList, quorumRole, majorityAt, teacherNotes;
  let headlineAt = new Int32Array(0), noteAt = new Int32Array(0);
  let BUCKET = 0, buckets = [], copiesOf, markTimes, outagesOf;
  let rowsSeen = [], eventsSeen = []; // the rider rows and events the lists were derived from
  const samePrefix = (a, b) => { // how many leading items two lists share, by identity
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    return i;
  };
  function derive() {
    times = D.times;
    // Riders: the rows a live page kept are the same objects, so only the new ones are read.
    const keptRiders = samePrefix(rowsSeen, D.riders);
    const bucket = Math.max(1, Math.ceil((D.drawnUntil + 1) / 2048));
    if (bucket !== BUCKET) { BUCKET = bucket; buckets = []; riders.forEach((r, i) => { if (i < keptRiders) spread(r, i); }); }
    for (let i = riders.length - 1; i >= keptRiders; i--) { // gone: out of the index and the buckets
      const r = riders[i];
      if (riderById.get(r.id) === r) riderById.delete(r.id);
      for (let b = Math.floor(r.t0 / BUCKET); b <= Math.floor((r.t1 + LINGER) / BUCKET); b++) {
        const list = buckets[b];
        while (list && list.length && list[list.length - 1] >= keptRiders) list.pop();
      }
    }
    riders.length = keptRiders;
    for (let i = keptRiders; i < D.riders.length; i++) {
      const a = D.riders[i];
      const r = { id: a[0], s: a[1], d: a[2], ty: a[3], t0: a[4], t1: a[5], fate: a[6], reason: a[7], copy: a[8], si: a[9], fi: a[10] };
      riders.push(r); riderById.set(r.id, r); spread(r, i);
    }
    rowsSeen = D.riders.slice();
    copiesOf = new Map();
    for (const r of riders) if (r.copy >= 0) copiesOf.set(r.copy, r.id);
    // The lessons: majorities (phase-1 quorums), chosen moments, teacher's notes.
    majorities = D.majorities.map((a) => ({
      index: a[0], until: a[1], proposer: a[2], ballot: a[3], members: a[4], riders: a[5], chosen: a[6], overlap: a[7],
    }));
    chosenList = D.chosen.map((a) => ({ index: a[0], value: a[1], ballot: a[2], by: a[3] }));
    quorumRole = new Map(); // promise rider id -> "q1" (formed a majority) or "warn" (in both majorities)
    for (const m of majorities) {
      m.riders.forEach((id) => {
        const r = riderById.get(id);
        if (r && quorumRole.get(id) !== "warn") quorumRole.set(id, m.overlap.includes(r.s) ? "warn" : "q1");
      });
    }
    majorityAt = new Map(majorities.map((m, i) => [m.index, i]));
    teacherNotes = new Set(D.notes);
    // The headline is a story event (never a timer or a logbook line); a teacher's note has its own
    // line. Read on from the first event that changed.
    const keptEvents = Math.min(samePrefix(eventsSeen, D.events), headlineAt.length);
    const heads = new Int32Array(times.length), notes = new Int32Array(times.length);
    heads.set(headlineAt.subarray(0, keptEvents)); notes.set(noteAt.subarray(0, keptEvents));
    headlineAt = heads; noteAt = notes;
    for (let k = keptEvents, h = k ? heads[k - 1] : -1, n = k ? notes[k - 1] : -1; k < times.length; k++) {
      if (teacherNotes.has(k)) n = k;
      else if (D.levels[k] <= 1 || D.kinds[k] === "chosen") h = k;
      heads[k] = h; notes[k] = n;
    }
    eventsSeen = D.events.slice();
    D.storms = D.storms.map((s) => (Array.isArray(s) ? { start: s[0], end: s[1], groups: s[2], raging: !!s[3] } : s));
    markTimes = D.marks.map((mk) => times[mk[0]]);
    outagesOf = names.map((_, i) => D.outages.filter((o) => o[0] === i));
  }
  function spread(r, i) { // riders by time bucket, so "who rides between tA and tB" never scans them all
    for (let b = Math.floor(r.t0 / BUCKET); b <= Math.floor((r.t1 + LINGER) / BUCKET); b++) (buckets[b] || (buckets[b] = [])).push(i);
  }
  derive();
  function majorityNow(cursor) { // the latest majority whose moment is on screen
    let found = null;
    for (const m of majorities) { if (m.index > cursor) break; if (cursor <= m.until) found = m; }
    return found;
  }
  function majorityText(m) {
    const who = names[m.proposer], members = m.members.map((i) => names[i]);
    let text = who + " holds a majority of promises for banner " + m.ballot + ": " + andList(members) +
      " (" + members.length + " of " + names.length + "; any two majorities share a caravan).";
    if (m.chosen >= 0) {
      const c = D.events[m.chosen];
      const both = m.overlap.map((i) => names[i]);
      text += " " + andList(both) + (both.length > 1 ? " are" : " is") + " in both majorities: " +
        (both.length > 1 ? "they" : "it") + " voted for " + c.value + ", chosen under banner " + fmtBallot(c.ballot) +
        ", and " + (both.length > 1 ? "their promises carry" : "its promise carries") + " that vote, so " + who +
        " must carry " + c.value + " forward.";
    }
    return text;
  }

  function ridersBetween(tA, tB) { // riders whose [t0, t1 + LINGER] meets [tA, tB], in sending order
    const seen = new Set();
    for (let b = Math.max(0, Math.floor(tA / BUCKET)); b <= Math.floor(tB / BUCKET); b++) for (const i of buckets[b] || []) seen.add(i);
    return Array.from(seen).sort((a, b) => a - b).map((i) => riders[i]);
  }
  // ---- the view's state -----------------------------------------------------
  const view = {
    t: 0, cursor: -1, playing: false, speed: 1, scale: 4,
    selRider: null, selEvent: null, hotRider: null,
    showCaravan: names.map(() => true), showType: new Set(TYPES.concat(["other"])), showSelf: true,
  };

  function upperBound(arr, x) { // first index with arr[i] > x
    let lo = 0, hi = arr.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] <= x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function cursorAt(t) { return upperBound(times, t) - 1; }
  function stateOf(lane, cursor) {
    const rows = D.states[lane];
    let lo = 0, hi = rows.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (rows[mid][0] <= cursor) lo = mid + 1; else hi = mid; }
    const row = lo > 0 ? rows[lo - 1] : null;
    return row ? { alive: !!row[1], promise: row[2], vote: row[3], decided: row[4], promiseBanner: row[5], voteValue: row[6], voteBanner: row[7] }
      : { alive: true, promise: "none yet", vote: "none yet", decided: "", promiseBanner: "", voteValue: "", voteBanner: "" };
  }
  function stormAt(t) { // the storm blowing at t; one still raging when the run stops covers its last tick
    for (const s of D.storms) if (s.start <= t && (t < s.end || (t === s.end && s.raging))) return s;
    return null;
  }
  function passes(r) {
    if (!view.showType.has(TYPES.includes(r.ty) ? r.ty : "other")) return false;
    if (r.s === r.d && !view.showSelf) return false;
    return view.showCaravan[r.s] || view.showCaravan[r.d];
  }

  // ---- header, controls, filters ----------------------------------------------
  const slider = $("slider");
  function drawHead() { // the title, the slider's end and the banners: at mount and at each update
    const title = "Desert Paxos — " + D.scenario + " · seed " + D.seed + " · " + D.variant +
      (D.quorums[0] ? " · quorums " + D.quorums[0] + "/" + D.quorums[1] : "");
    if ($("title").textContent !== title) $("title").textContent = title;
    if ($("description").textContent !== D.description) $("description").textContent = D.description;
    slider.max = String(D.end);
    const banner = $("violation-banner");
    if (D.violations.length) {
      const v = D.events[D.violations[0]];
      banner.hidden = false;
      banner.textContent = "⚠ SAFETY VIOLATED at t=" + v.t + ": " + (v.invariant || "?") + " — " + (v.message || "") + " (click to go there)";
    } else if (!banner.hidden) { banner.hidden = true; banner.textContent = ""; }
    const cut = $("incomplete-banner");
    if (D.incomplete) { // a trace without its end event: say so, with what it holds
      cut.hidden = false;
      cut.textContent = "⚠ " + D.incomplete;
    } else if (!cut.hidden) { cut.hidden = true; cut.textContent = ""; }
  }
  drawHead();
  $("violation-banner").addEventListener("click", () => {
    if (!D.violations.length) return;
    stop(); selectEvent(D.violations[0]);
    if (opts.onTime) opts.onTime(times[D.violations[0]]); else setCursor(D.violations[0], true);
  });
  const SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
  const speedSel = $("speed");
  const wanted = Math.max(1, D.end / 20); // the whole run in about twenty seconds
  let best = SPEEDS[0];
  for (const s of SPEEDS) if (Math.abs(Math.log(s / wanted)) < Math.abs(Math.log(best / wanted))) best = s;
  for (const s of SPEEDS) {
    const o = document.createElement("option");
    o.value = String(s); o.textContent = s + " t/s"; if (s === best) o.selected = true;
    speedSel.appendChild(o);
  }
  view.speed = best;
  speedSel.addEventListener("change", () => { view.speed = Number(speedSel.value); });

  function addCheck(parent, label, checked, onChange, swatchClass) {
    const l = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.checked = checked;
    box.addEventListener("change", () => { onChange(box.checked); redrawAll(true); });
    l.appendChild(box);
    if (swatchClass) {
      const sw = document.createElement("span");
      sw.className = "swatch " + swatchClass; sw.style.background = "var(--c)";
      l.appendChild(sw);
    }
    l.appendChild(document.createTextNode(label));
    parent.appendChild(l);
    return box;
  }
  names.forEach((n, i) => { addCheck($("filter-caravans"), n, true, (on) => { view.showCaravan[i] = on; }).dataset.caravan = n; });
  for (const ty of TYPES.concat(["other"])) {
    addCheck($("filter-types"), TYPE_WORDS[ty][0], true, (on) => { if (on) view.showType.add(ty); else view.showType.delete(ty); }, typeClass(ty)).dataset.type = ty;
  }
  for (const label of $("filter-types").querySelectorAll("label")) {
    const ty = label.querySelector("input").dataset.type;
    label.title = TYPE_WORDS[ty][0] + ": " + TYPE_WORDS[ty][1];
  }
  $("filter-self").addEventListener("change", (e) => { view.showSelf = e.target.checked; redrawAll(true); });

  // ---- the space-time diagram -------------------------------------------------
  const scroller = $("diagram-scroll");
  const svg = $("diagram");
  const TOP = 24, GUTTER = 52, RIGHT = 70;
  let width = 600, laneGap = 100;
  const laneX = (i) => GUTTER + laneGap * (i + 0.5);
  const yOf = (t) => TOP + t * view.scale;
  const tOf = (y) => (y - TOP) / view.scale;

  const defs = document.createElementNS(NS, "defs");
  let defsHtml = '<pattern id="storm-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<rect width="8" height="8" fill="#d8b47a88"/><line x1="0" y1="0" x2="0" y2="8" stroke="#9a6b2e" stroke-width="3"/></pattern>';
  for (const ty of TYPES.concat(["other"])) {
    defsHtml += '<marker id="ah-' + ty + '" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">' +
      '<path d="M0,0 L10,5 L0,10 z" fill="var(--' + ty + ')"/></marker>';
  }
  defs.innerHTML = defsHtml;
  const layers = {};
  svg.appendChild(defs);
  for (const name of ["storms", "axis", "lanes", "riders", "chosen", "marks", "notes", "violations"]) {
    const g = document.createElementNS(NS, "g");
    g.setAttribute("id", "layer-" + name);
    svg.appendChild(g); layers[name] = g;
  }

  function layout() {
    placedFor = false;
    width = Math.max(320, scroller.clientWidth);
    viewH = scroller.clientHeight || 600;
    laneGap = (width - GUTTER - RIGHT) / Math.max(1, names.length);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(Math.ceil(yOf(D.drawnUntil) + 40)));
    cursorLine.style.left = GUTTER + "px";
    cursorLine.style.width = (width - RIGHT + 20 - GUTTER) + "px";
    $("lane-heads").innerHTML = names.map((n, i) =>
      '<span style="left:' + laneX(i).toFixed(1) + 'px">' + esc(n) + "</span>").join("");
  }

  function niceStep(minTicks) {
    for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) if (m * p >= minTicks) return m * p;
  }

  // A rider and the desert's duplicate of it are one path to the eye.
  const linked = (r, id) => r.id === id || r.copy === id || copiesOf.get(r.id) === id;

  function riderShape(r) {
    const x0 = laneX(r.s), y0 = yOf(r.t0), x1 = laneX(r.d), y1 = yOf(r.t1);
    const ty = TYPES.includes(r.ty) ? r.ty : "other";
    let cls = "r " + typeClass(r.ty);
    if (r.fate === 1) cls += " drop";
    if (r.fate === 2) cls += " riding";
    if (r.copy >= 0) cls += " dup";
    if (view.selRider === r.id) cls += " sel";
    if (view.hotRider !== null && linked(r, view.hotRider)) cls += " hot";
    const role = quorumRole.get(r.id);
    if (role) cls += " " + role;
    let body = "";
    if (r.s === r.d) { // a word to itself: a small loop on the lane
      const d = "M" + x0 + "," + y0 + " c 22,-10 22,14 2,6";
      body = '<path class="hit" d="' + d + '"/>' + (role ? '<path class="halo" d="' + d + '"/>' : "") + '<path class="ln" d="' + d + '" marker-end="url(#ah-' + ty + ')"/>';
    } else if (r.fate === 1) { // lost: the line stops short of the lane in a cross
      const xe = x0 + (x1 - x0) * 0.86, ye = y1;
      body = '<line class="hit" x1="' + x0 + '" y1="' + y0 + '" x2="' + xe + '" y2="' + ye + '"/>' +
        '<line class="ln" x1="' + x0 + '" y1="' + y0 + '" x2="' + xe + '" y2="' + ye + '"/>' +
        '<path class="x" d="M' + (xe - 5) + "," + (ye - 5) + " l10,10 m0,-10 l-10,10" + '"/>' +
        labelSvg("w" + r.id, "why") + "<title>" + esc("lost: " + (REASON_LONG[r.reason] || r.reason)) + "</title>";
    } else {
      body = '<line class="hit" x1="' + x0 + '" y1="' + y0 + '" x2="' + x1 + '" y2="' + y1 + '"/>' +
        (role ? '<line class="halo" x1="' + x0 + '" y1="' + y0 + '" x2="' + x1 + '" y2="' + y1 + '"/>' : "") +
        '<line class="ln" x1="' + x0 + '" y1="' + y0 + '" x2="' + x1 + '" y2="' + y1 + '" marker-end="url(#ah-' + ty + ')"/>';
    }
    if (r.copy >= 0) body += labelSvg("c" + r.id, "tag");
    return '<g class="' + cls + '" data-id="' + r.id + '">' + body + "</g>";
  }

  const MARK_GLYPH = {
    propose: (x, y) => '<path d="M' + x + "," + (y + 7) + " v-16 l11,4 l-11,4" + '" fill="#d8a000" stroke="#6d4c00"/>',
    adopt: (x, y) => '<rect x="' + (x - 5) + '" y="' + (y - 5) + '" width="10" height="10" transform="rotate(45 ' + x + " " + y + ')" fill="#b0309a"/>',
    decide: (x, y) => '<path d="M' + (x - 8) + "," + (y + 6) + " L" + x + "," + (y - 8) + " L" + (x + 8) + "," + (y + 6) + ' z" fill="var(--decided)" stroke="#0b4a1f"/>',
    crash: (x, y) => '<circle cx="' + x + '" cy="' + y + '" r="7" fill="var(--danger)"/><path d="M' + (x - 4) + "," + (y - 4) + " l8,8 m0,-8 l-8,8" + '" stroke="#fff" stroke-width="2"/>',
    recover: (x, y) => '<circle cx="' + x + '" cy="' + y + '" r="6" fill="#2f9e44" stroke="#0b4a1f"/>',
    timer: (x, y) => '<circle cx="' + x + '" cy="' + y + '" r="4" fill="#fff" stroke="#8a7a60"/>',
    note: (x, y) => '<circle cx="' + x + '" cy="' + y + '" r="4" fill="#8a7a60"/>',
    majority: (x, y) => '<circle cx="' + x + '" cy="' + y + '" r="7" fill="#fff3c4" stroke="#b8860b" stroke-width="2.5"/><circle cx="' + x + '" cy="' + y + '" r="2.5" fill="#b8860b"/>',
  };
  function markLabel(kind, e) {
    switch (kind) {
      case "propose": return "⚑ " + e.value;
      case "adopt": return "carries " + e.value + " forward";
      case "decide": return "knows " + e.value;
      case "crash": return "collapses";
      case "recover": return "back, with its logbook";
      default: return "";
    }
  }
  const star = (x, y, r) => { // a five-pointed star: the chosen moment
    let d = "";
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
      d += (k ? "L" : "M") + (x + rr * Math.cos(a)).toFixed(1) + "," + (y + rr * Math.sin(a)).toFixed(1);
    }
    return '<path class="star" d="' + d + 'z"/>';
  };

  // ---- labels on the diagram, placed so that none overlaps another -------------------------
  // A label source: key, priority, time, size, bold, text and candidate anchors [x, text-anchor]
  // at the time's y plus a baseline offset; placement tries each anchor at a few heights, most
  // important labels first, and hides a label only when every candidate would overlap.
  const SHIFTS = [0, 12, -12, 24, -24];
  let placed = new Map(); // key -> { x, y, anchor, text, w, box }
  function labelSources() {
    const out = [], x0 = GUTTER, x1 = width - RIGHT + 20;
    const add = (key, prio, t, text, size, bold, anchors, base, shifts) =>
      out.push({ key, prio, t, text, size, bold, anchors, base, shifts: shifts || SHIFTS });
    const fit = (text, size, room) => { // as much of the text as fits; the details have it whole
      if (measure(text, size, true) <= room) return text;
      while (text.length > 3 && measure(text + "…", size, true) > room) text = text.slice(0, -1);
      return text + "…";
    };
    D.violations.forEach((vi) => {
      const e = D.events[vi];
      add("v" + vi, 100, times[vi], fit("⚠ SAFETY VIOLATED: " + (e.invariant || "?") + " — " + (e.message || ""), 12, x1 - x0 - 20),
        12, true, [[x0 + 10, "start"]], 16, [0]);
      out[out.length - 1].band = [x0 + 4, x1 - 4]; // the whole red band is taken
    });
    D.noteMarks.forEach((k) => {
      add("n" + k, 90, times[k], fit("✎ " + (D.events[k].text || ""), 11, x1 - x0 - 16), 11, true, [[x0 + 6, "start"]], -5, [0, -13, 17, -26, 30]);
    });
    chosenList.forEach((c, i) => {
      if (!c.by.length) return;
      const lo = Math.min(...c.by), hi = Math.max(...c.by);
      add("k" + i, 85, times[c.index], "★ chosen: " + c.value + " " + c.ballot, 10, true,
        [[laneX(lo) + 12, "start"], [laneX(hi) - 12, "end"], [laneX(hi) + 12, "start"], [laneX(lo) - 12, "end"]], -5, [0, 17, -12, 29]);
    });
    majorities.forEach((m, i) => {
      if (!view.showCaravan[m.proposer]) return;
      add("q" + i, 80, times[m.index], "majority of promises, " + m.members.length + " of " + names.length, 10, false,
        [[laneX(m.proposer) + 11, "start"], [laneX(m.proposer) - 11, "end"]], 4);
    });
    D.marks.forEach((mk, i) => {
      const text = markLabel(mk[2], D.events[mk[0]]);
      if (!text || !view.showCaravan[mk[1]]) return;
      const prio = { decide: 70, propose: 65, adopt: 60 }[mk[2]] || 55;
      add("m" + i, prio, times[mk[0]], text, 10, mk[2] === "decide", [[laneX(mk[1]) - 10, "end"], [laneX(mk[1]) + 10, "start"]], 4);
    });
    outagesOf.forEach((os, lane) => os.forEach((o, j) => {
      add("g" + lane + "-" + j, 50, o[1], "collapsed", 10, false, [[laneX(lane) + 6, "start"], [laneX(lane) - 6, "end"]], 22);
    }));
    D.storms.forEach((st, i) => {
      add("s" + i, 45, st.start, "sandstorm", 10, false, [[x1 - 4, "end"]], 12);
      if (st.end < D.end) add("e" + i, 45, st.end, "calm", 10, false, [[x1 - 4, "end"]], -4);
    });
    for (const r of riders) {
      if (!passes(r) || r.s === r.d) continue;
      const xa = laneX(r.s), xb = laneX(r.d);
      if (r.fate === 1) {
        const xe = xa + (xb - xa) * 0.86, right = xb > xa;
        add("w" + r.id, 20, r.t1, REASON_SHORT[r.reason] || r.reason, 9, false,
          [[xe + (right ? -8 : 8), right ? "end" : "start"], [xe + (right ? 8 : -8), right ? "start" : "end"]], 12, [0, 11, -11]);
      }
      if (r.copy >= 0) {
        add("c" + r.id, 10, (r.t0 + r.t1) / 2, "copy of #" + r.copy, 9, false, [[(xa + xb) / 2 + 4, "start"], [(xa + xb) / 2 - 4, "end"]], -3, [0, 11, -11]);
      }
    }
    return out;
  }
  // A live session's update places the labels again without starting over: only the sources
  // that came, went or changed are decided again, and then only the later ones (in the order of
  // importance) whose candidate places meet a place that changed hands, and so on; every other
  // label keeps its place. Each decision looks only at the labels before it in that order, as the
  // whole pass does, so the outcome is the whole pass's, label for label.
  const ROW = 24;
  const before = (a, b) => b.prio - a.prio || a.t - b.t || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const meets = (b, o) => b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3];
  let grid = new Map(); // row -> the boxes of placed labels: [box, source]
  let sourceOf = new Map(); // key -> the source as last placed
  let sourceRows = new Map(); // row -> the sources whose candidate places reach it
  function candidates(l) { // the places a label may take, in the order tried: {x, y, anchor, box}
    if (l.cands) return l.cands;
    const w = measure(l.text, l.size, l.bold), asc = l.size * 0.8, desc = l.size * 0.25, out = [];
    for (const dy of l.shifts) {
      for (const [x, anchor] of l.anchors) {
        const y = yOf(l.t) + l.base + dy;
        const left = anchor === "end" ? x - w : x;
        const box = l.band ? [l.band[0], y - 13, l.band[1], y + 5] : [left - 1, y - asc - 1, left + w + 1, y + desc + 1];
        if (box[0] < GUTTER || box[2] > width - 2) continue;
        out.push({ x, y, anchor, box });
      }
    }
    l.w = w; l.cands = out;
    return out;
  }
  const rowsOf = (b) => { const r = []; for (let row = Math.floor(b[1] / ROW); row <= Math.floor(b[3] / ROW); row++) r.push(row); return r; };
  function keepBox(box, l) { for (const row of rowsOf(box)) (grid.get(row) || grid.set(row, []).get(row)).push([box, l]); }
  function dropBox(box) {
    for (const row of rowsOf(box)) {
      const list = grid.get(row), i = list.findIndex((o) => o[0] === box);
      list.splice(i, 1);
    }
  }
  function decide(l, all) { // the first place free of the labels before it (`all`: every box is)
    for (const c of candidates(l)) {
      let free = true;
      search: for (const row of rowsOf(c.box)) {
        for (const o of grid.get(row) || []) if (meets(c.box, o[0]) && (all || before(o[1], l) < 0)) { free = false; break search; }
      }
      if (free) return c;
    }
    return null;
  }
  function placeAt(l, c) {
    if (!c) return;
    keepBox(c.box, l);
    placed.set(l.key, { x: c.x, y: c.y, anchor: c.anchor, text: l.text, w: l.w, box: c.box });
  }
  function areaRows(l) { // the rows every candidate place of a label reaches
    const rows = new Set();
    for (const c of candidates(l)) for (const row of rowsOf(c.box)) rows.add(row);
    return rows;
  }
  function indexSource(l, on) {
    for (const row of areaRows(l)) {
      if (on) (sourceRows.get(row) || sourceRows.set(row, new Set()).get(row)).add(l);
      else sourceRows.get(row).delete(l);
    }
  }
  function placeLabels() { // the whole pass, most important first
    const sources = labelSources().sort(before);
    placed = new Map(); grid = new Map(); sourceOf = new Map(); sourceRows = new Map();
    for (const l of sources) {
      placeAt(l, decide(l, true));
      sourceOf.set(l.key, l);
      indexSource(l, true);
    }
  }
  const sameSource = (a, b) => a.prio === b.prio && a.t === b.t && a.text === b.text && a.size === b.size && a.bold === b.bold &&
    a.base === b.base && a.shifts.length === b.shifts.length && a.shifts.every((v, i) => v === b.shifts[i]) &&
    a.anchors.length === b.anchors.length && a.anchors.every((v, i) => v[0] === b.anchors[i][0] && v[1] === b.anchors[i][1]) &&
    (a.band ? !!b.band && a.band[0] === b.band[0] && a.band[1] === b.band[1] : !b.band);
  function placeLabelsAgain() { // the same layout, other sources (see above)
    const sources = labelSources(), now = new Map();
    for (const l of sources) now.set(l.key, l);
    const queue = [], changed = []; // queue: a heap of sources to decide again, in placing order
    const push = (l) => {
      if (l.queued) return;
      l.queued = true; queue.push(l);
      for (let i = queue.length - 1; i > 0;) { const up = (i - 1) >> 1; if (before(queue[up], queue[i]) <= 0) break; [queue[up], queue[i]] = [queue[i], queue[up]]; i = up; }
    };
    const pop = () => {
      const top = queue[0], last = queue.pop();
      if (queue.length) {
        queue[0] = last;
        for (let i = 0; ;) {
          const a = 2 * i + 1, b = a + 1;
          let m = i;
          if (a < queue.length && before(queue[a], queue[m]) < 0) m = a;
          if (b < queue.length && before(queue[b], queue[m]) < 0) m = b;
          if (m === i) break;
          [queue[m], queue[i]] = [queue[i], queue[m]]; i = m;
        }
      }
      top.queued = false;
      return top;
    };
    const moved = (box, from) => { // a place changed hands: the later labels that could take it decide again
      for (const row of rowsOf(box)) {
        for (const l of sourceRows.get(row) || []) {
          if (before(from, l) < 0 && sourceOf.get(l.key) === l && candidates(l).some((c) => meets(c.box, box))) push(l);
        }
      }
    };
    for (const [key, old] of sourceOf) { // gone or changed: its place is free
      const l = now.get(key);
      if (l && sameSource(old, l)) continue;
      const p = placed.get(key);
      if (p) { dropBox(p.box); placed.delete(key); changed.push([p.box, old]); }
      indexSource(old, false);
      sourceOf.delete(key);
    }
    for (const l of sources) {
      if (sourceOf.has(l.key)) continue;
      sourceOf.set(l.key, l);
      indexSource(l, true);
      push(l);
    }
    for (const [box, from] of changed) moved(box, from);
    while (queue.length) {
      const l = pop(), p = placed.get(l.key);
      if (p) { dropBox(p.box); placed.delete(l.key); }
      const c = decide(l, false);
      placeAt(l, c);
      if ((p && p.box) !== (c && c.box)) {
        if (p) moved(p.box, l);
        if (c) moved(c.box, l);
      }
    }
  }
  function labelSvg(key, cls) { // the placed label, or nothing when it had no room
    const p = placed.get(key);
    if (!p) return "";
    return '<text class="' + cls + '" x="' + p.x.toFixed(1) + '" y="' + p.y.toFixed(1) + '" text-anchor="' + p.anchor + '">' + esc(p.text) + "</text>";
  }

  let viewTop = 0, viewH = 600; // the scroller's position and height, kept here: reading them forces a layout
  let band = null; // the view the diagram's band was drawn for
  let placedFor = false; // whether the labels were placed for this layout

  // A layer whose items are keyed: an update removes the items that left the band and parses only
  // the ones that entered it, so scrolling costs what scrolled into view, not the whole band.
  // With `recheck` (the layout, the labels or the data changed) every item in the band is
  // rendered again as text and parsed only where that text changed: a live session's new step
  // redraws its few new or changed riders, not the band. The layer keeps its items in the order
  // given, so what it holds never depends on how it got there.
  const scratch = document.createElement("div");
  function keyedLayer(layer) {
    const shown = new Map(), drawn = new Map(); // key -> element, and the text it was parsed from
    return {
      shown,
      update(items, keyOf, render, recheck) {
        const wanted = new Set(), keys = [];
        const fresh = [];
        let html = "";
        for (const item of items) {
          const key = keyOf(item);
          wanted.add(key); keys.push(key);
          if (!shown.has(key)) { fresh.push(key); const h = render(item); drawn.set(key, h); html += h; }
          else if (recheck) {
            const h = render(item);
            if (h !== drawn.get(key)) { shown.get(key).remove(); shown.delete(key); fresh.push(key); drawn.set(key, h); html += h; }
          }
        }
        for (const [key, el] of shown) if (!wanted.has(key)) { el.remove(); shown.delete(key); drawn.delete(key); }
        if (html) {
          scratch.innerHTML = '<svg xmlns="' + NS + '">' + html + "</svg>";
          const made = Array.from(scratch.firstChild.children);
          made.forEach((el, i) => { shown.set(fresh[i], el); });
        }
        let prev = null; // in the items' order: move or insert only what is out of place
        for (const key of keys) {
          const el = shown.get(key), at = prev ? prev.nextSibling : layer.firstChild;
          if (el !== at) layer.insertBefore(el, at);
          prev = el;
        }
      },
      clear() { layer.textContent = ""; shown.clear(); drawn.clear(); },
    };
  }
  const riderLayer = keyedLayer(layers.riders), markLayer = keyedLayer(layers.marks), axisLayer = keyedLayer(layers.axis);

  function ensureBand() { // only when the view moved: the time cursor does not touch the band
    if (!band || band.top !== viewTop || band.height !== viewH) drawBand(false);
  }
  function drawBand(rebuild) { // rebuild: true (filters, zoom: labels placed anew) or "data" (an update)
    const recheck = rebuild || !placedFor; // the layout, the labels or the data changed: look at every item again
    if (rebuild === true || !placedFor) placeLabels();
    else if (rebuild === "data") placeLabelsAgain();
    placedFor = true;
    const pad = viewH / 2; // half a screen above and below the view, so a quick scroll shows no blank
    band = { top: viewTop, height: viewH };
    const tMin = tOf(viewTop - pad), tMax = tOf(viewTop + viewH + pad);
    const x0 = GUTTER, x1 = width - RIGHT + 20;

    // Sandstorms: each group's lanes tinted alike, the gap between separated neighbours hatched.
    let s = "";
    for (const st of D.storms) {
      if (st.end < tMin || st.start > tMax) continue;
      const ya = yOf(Math.max(st.start, tMin)), yb = yOf(Math.min(st.end, tMax));
      const groupOf = names.map(() => -1);
      st.groups.forEach((g, gi) => g.forEach((lane) => { groupOf[lane] = gi; }));
      const hgt = Math.max(0, yb - ya);
      names.forEach((_, i) => {
        s += '<rect x="' + (laneX(i) - laneGap / 2) + '" y="' + ya + '" width="' + laneGap + '" height="' + hgt +
          '" fill="' + STORM_TINTS[Math.max(0, groupOf[i]) % STORM_TINTS.length] + '"/>';
      });
      names.forEach((_, i) => {
        if (i + 1 < names.length && groupOf[i] !== groupOf[i + 1]) {
          s += '<rect class="storm-wall" x="' + (laneX(i) + laneGap * 0.42) + '" y="' + ya + '" width="' + laneGap * 0.16 + '" height="' + hgt + '" fill="url(#storm-hatch)"/>';
        }
      });
      const si = D.storms.indexOf(st);
      if (st.start >= tMin) s += labelSvg("s" + si, "storm-label");
      if (st.end <= tMax && st.end < D.end) s += labelSvg("e" + si, "storm-label");
    }
    layers.storms.innerHTML = s;

    // Time axis.
    const step = niceStep(48 / view.scale), ticks = [];
    for (let k = Math.max(0, Math.ceil(tMin / step) * step); k <= tMax && k <= D.drawnUntil; k += step) ticks.push(k);
    axisLayer.update(ticks, (k) => k, (k) => '<g class="axis"><line x1="' + x0 + '" x2="' + x1 + '" y1="' + yOf(k) + '" y2="' + yOf(k) + '"/>' +
      '<text x="' + (x0 - 6) + '" y="' + (yOf(k) + 3) + '" text-anchor="end">' + k + "</text></g>", recheck);

    // Lanes, broken where a caravan lay collapsed.
    let l = "";
    const ya = yOf(Math.max(0, tMin)), yb = yOf(Math.min(D.drawnUntil, tMax));
    names.forEach((_, i) => {
      let from = ya;
      const gaps = outagesOf[i].filter((o) => o[2] >= tMin && o[1] <= tMax);
      for (const o of gaps) {
        const ga = Math.max(ya, yOf(o[1])), gb = Math.min(yb, yOf(o[2]));
        if (ga > from) l += '<line class="lane" x1="' + laneX(i) + '" x2="' + laneX(i) + '" y1="' + from + '" y2="' + ga + '"/>';
        l += '<line class="gap" x1="' + laneX(i) + '" x2="' + laneX(i) + '" y1="' + ga + '" y2="' + gb + '"/>';
        if (o[1] >= tMin) l += labelSvg("g" + i + "-" + outagesOf[i].indexOf(o), "gap-label");
        from = Math.max(from, gb);
      }
      if (yb > from) l += '<line class="lane" x1="' + laneX(i) + '" x2="' + laneX(i) + '" y1="' + from + '" y2="' + yb + '"/>';
    });
    layers.lanes.innerHTML = l;

    // Riders in the band.
    const inBand = ridersBetween(tMin, tMax).filter((r) => r.t1 >= tMin && r.t0 <= tMax && passes(r));
    riderLayer.update(inBand, (r) => r.id, riderShape, recheck);

    // Marks on lanes.
    const marks = [];
    for (let i = upperBound(markTimes, tMin - 1e-9); i < D.marks.length && markTimes[i] <= tMax; i++) {
      if (view.showCaravan[D.marks[i][1]]) marks.push(i);
    }
    markLayer.update(marks, (i) => i, (i) => {
      const mk = D.marks[i], x = laneX(mk[1]), y = yOf(markTimes[i]);
      const glyph = MARK_GLYPH[mk[2]] || MARK_GLYPH.note;
      return '<g class="m ' + mk[2] + (view.selEvent === mk[0] ? " sel" : "") + '" data-ev="' + mk[0] + '">' +
        glyph(x, y) + labelSvg("m" + i, "") + "<title>" + esc(D.story[mk[0]]) + "</title></g>";
    }, recheck);

    // Majorities: a ring on the proposer's lane where its phase-1 quorum was complete.
    let q = "";
    majorities.forEach((m, i) => {
      const t = times[m.index];
      if (t < tMin || t > tMax || !view.showCaravan[m.proposer]) return;
      q += '<g class="m majority' + (view.selEvent === m.index ? " sel" : "") + '" data-ev="' + m.index + '">' +
        MARK_GLYPH.majority(laneX(m.proposer), yOf(t)) + labelSvg("q" + i, "") + "<title>" + esc(majorityText(m)) + "</title></g>";
    });
    // The chosen moments: a star on every voter's lane, joined, apart from the tents of knowing.
    chosenList.forEach((c, i) => {
      const t = times[c.index];
      if (t < tMin || t > tMax || !c.by.length) return;
      const y = yOf(t), lo = Math.min(...c.by), hi = Math.max(...c.by);
      q += '<g class="m chosen" data-ev="' + c.index + '"><line class="chosen-line" x1="' + laneX(lo) + '" x2="' + laneX(hi) + '" y1="' + y + '" y2="' + y + '"/>' +
        c.by.map((lane) => star(laneX(lane), y, 7)).join("") + labelSvg("k" + i, "chosen-label") + "<title>" + esc(D.story[c.index]) + "</title></g>";
    });
    layers.chosen.innerHTML = q;

    // Notes (a teacher's, or one on a caravan): a line across the desert at their moment, with as much text as fits.
    let n = "";
    for (const k of D.noteMarks) {
      const t = times[k];
      if (t < tMin || t > tMax) continue;
      const p = placed.get("n" + k), y = yOf(t);
      n += '<g class="m note-mark' + (view.selEvent === k ? " sel" : "") + '" data-ev="' + k + '"><line x1="' + x0 + '" x2="' + x1 + '" y1="' + y + '" y2="' + y + '"/>' +
        (p ? '<rect x="' + (p.x - 3) + '" y="' + (p.y - 11) + '" width="' + (p.w + 6) + '" height="15" rx="3"/>' : "") +
        labelSvg("n" + k, "note-label") + "<title>" + esc(D.story[k]) + "</title></g>";
    }
    layers.notes.innerHTML = n;

    // Violations: loud, across every lane.
    let v = "";
    for (const vi of D.violations) {
      const y = yOf(times[vi]);
      if (times[vi] < tMin || times[vi] > tMax) continue;
      v += '<g class="violation m" data-ev="' + vi + '"><line x1="' + x0 + '" x2="' + x1 + '" y1="' + y + '" y2="' + y + '"/>' +
        '<rect x="' + (x0 + 4) + '" y="' + (y + 3) + '" width="' + (x1 - x0 - 8) + '" height="18" rx="3"/>' +
        labelSvg("v" + vi, "") + "</g>";
    }
    layers.violations.innerHTML = v;
  }

  // The time cursor: a line, and a veil over everything after it (the future is fog).
  const veil = $("veil"), cursorLine = $("cursor"), cursorText = $("cursor-label");
  function drawCursor() {
    const y = yOf(view.t);
    veil.style.transform = "translateY(" + y + "px)";
    cursorLine.style.transform = "translateY(" + y + "px)";
    cursorText.textContent = "t=" + Math.floor(view.t);
  }

  // ---- the desert map ----------------------------------------------------------
  // Caravans on an oval, each with its name, its promise and its vote beneath it (its logbook, in
  // the glossary's words) and, once it knows the campsite, a tent and the campsite above it.
  const map = $("map");
  const MW = 400, MH = 370, CX = 200, CY = 182, RX = 134, RY = 100;
  const pos = names.map((_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / names.length;
    return [CX + RX * Math.cos(a), CY + RY * Math.sin(a)];
  });
  function riderPoint(r, f) { // rim to rim, a little right of the straight path so two-way traffic separates
    const [cx0, cy0] = pos[r.s], [cx1, cy1] = pos[r.d];
    const len = Math.hypot(cx1 - cx0, cy1 - cy0) || 1, ux = (cx1 - cx0) / len, uy = (cy1 - cy0) / len;
    const ax = cx0 + ux * 20, ay = cy0 + uy * 20, bx = cx1 - ux * 20, by = cy1 - uy * 20;
    const off = 6;
    return [ax + (bx - ax) * f - uy * off, ay + (by - ay) * f + ux * off];
  }
  function mapText(cls, x, y, text, size, bold, style) { // centred, but kept inside the map
    const w = measure(text, size, bold), cx = Math.max(w / 2 + 3, Math.min(MW - w / 2 - 3, x));
    return '<text class="' + cls + '" x="' + cx.toFixed(1) + '" y="' + y.toFixed(1) + '"' + (style ? ' style="' + style + '"' : "") + ">" + esc(text) + "</text>";
  }
  function chosenNow(cursor) { // the latest chosen moment so far
    let found = null;
    for (const c of chosenList) { if (c.index > cursor) break; found = c; }
    return found;
  }
  function drawMap() {
    const t = view.t, cursor = view.cursor;
    let s = "";
    const storm = stormAt(t);
    if (storm) {
      s += '<rect x="0" y="0" width="' + MW + '" height="' + MH + '" fill="url(#map-storm)"/>';
      storm.groups.forEach((g, gi) => { // each group's clear air: a rounded hull, rimmed and tinted
        const [fill, rim] = BUBBLES[gi % BUBBLES.length];
        const pts = g.map((i) => pos[i].map((v) => v.toFixed(1)).join(",")).join(" ");
        for (const [colour, w] of [[rim, 84], [fill, 78]]) {
          const style = ' style="fill:' + colour + ";stroke:" + colour + ";stroke-width:" + w + 'px"';
          s += g.length === 1
            ? '<circle class="bubble" data-group="' + gi + '" cx="' + pos[g[0]][0] + '" cy="' + pos[g[0]][1] + '" r="' + w / 2 + '" style="fill:' + colour + '"/>'
            : '<polygon class="bubble" data-group="' + gi + '" points="' + pts + '"' + style + "/>";
        }
      });
    }
    const hot = view.hotRider !== null ? riderById.get(view.hotRider) : (view.selRider !== null ? riderById.get(view.selRider) : null);
    if (hot && hot.s !== hot.d) {
      s += '<line class="path ' + typeClass(hot.ty) + '" style="stroke:var(--c)" x1="' + pos[hot.s][0] + '" y1="' + pos[hot.s][1] + '" x2="' + pos[hot.d][0] + '" y2="' + pos[hot.d][1] + '"/>';
    }
    const maj = majorityNow(cursor);
    names.forEach((n, i) => {
      const st = stateOf(i, cursor);
      const [x, y] = pos[i];
      const member = maj && maj.members.includes(i), warns = maj && maj.overlap.includes(i);
      const cls = "caravan" + (st.alive ? "" : " down") + (st.alive && st.decided ? " knows" : "") + (member ? " q1" : "") + (warns ? " warn" : "");
      s += '<g class="' + cls + '" data-caravan="' + esc(n) + '" data-status="' + (st.alive ? "alive" : "collapsed") + '" data-decided="' + esc(st.decided) + '">' +
        (warns ? '<circle class="warn-ring" cx="' + x + '" cy="' + y + '" r="28"/>' : "") +
        (member ? '<circle class="q1-ring" cx="' + x + '" cy="' + y + '" r="23"/>' : "") +
        '<circle class="body" cx="' + x + '" cy="' + y + '" r="18"/>' +
        (!st.alive ? '<path class="down-x" d="M' + (x - 8) + "," + (y - 8) + " l16,16 m0,-16 l-16,16" + '"/>'
          : st.decided ? '<path class="tent" d="M' + (x - 10) + "," + (y + 8) + " L" + x + "," + (y - 10) + " L" + (x + 10) + "," + (y + 8) + ' z"/>' : "") +
        mapText("name", x, y + 32, st.alive ? n : n + " — collapsed", 11, true, st.alive ? "" : "fill:#c0262d");
      // Beneath the name: what it knows, then its logbook (its promise and its vote).
      const lines = [];
      if (st.alive && st.decided) lines.push(["camp", "knows " + st.decided, 10, true]);
      lines.push(["promise", st.promiseBanner ? "promised banner " + st.promiseBanner : "no promise yet", 9.5, false]);
      if (st.voteValue) lines.push(["vote", "voted " + st.voteValue, 9.5, false], ["vote", "under " + st.voteBanner, 9.5, false]);
      else lines.push(["vote", "no vote yet", 9.5, false]);
      lines.forEach(([cls, text, size, bold], k) => { s += mapText(cls, x, y + 44 + 11 * k, text, size, bold); });
      s += "</g>";
    });
    const fade = Math.min(LINGER, Math.max(8, view.speed * 0.4)); // how long a lost rider's cross stays
    for (const r of ridersBetween(t, t)) {
      if (r.s === r.d || r.t0 > t || !passes(r)) continue;
      if (t < r.t1) {
        const [x, y] = riderPoint(r, r.t1 > r.t0 ? (t - r.t0) / (r.t1 - r.t0) : 1);
        s += '<circle class="rider ' + typeClass(r.ty) + (hot && hot.id === r.id ? " hot" : "") + '" data-id="' + r.id + '" cx="' + x.toFixed(1) + '" cy="' + y.toFixed(1) + '" r="5" style="fill:var(--c)"/>';
      } else if (r.fate === 1 && t < r.t1 + fade) {
        const [x, y] = riderPoint(r, 0.86);
        s += '<path class="lost" data-id="' + r.id + '" d="M' + (x - 5).toFixed(1) + "," + (y - 5).toFixed(1) + ' l10,10 m0,-10 l-10,10"/>';
      }
    }
    // The top strip: the clock, and who the storm keeps apart.
    s += '<rect x="0" y="0" width="' + MW + '" height="22" fill="#f3dfb6"/><text class="clock" x="8" y="15">t = ' + Math.floor(t) + "</text>";
    if (storm) {
      const text = "sandstorm: " + storm.groups.map((g) => g.map((i) => names[i]).join(", ")).join(" | ");
      const room = MW - 8 - 8 - measure("t = " + Math.floor(t), 11, false) - 12;
      const size = Math.max(7, Math.min(11, (11 * room) / measure(text, 11, true)));
      s += '<text class="storm-title" x="394" y="15" text-anchor="end" style="font-size:' + size.toFixed(1) + 'px">' + esc(text) + "</text>";
    }
    // The bottom strip: the omniscient eye. A campsite is chosen before any caravan knows it.
    const chosen = chosenNow(cursor);
    if (chosen) {
      const knowing = names.filter((_, i) => { const st = stateOf(i, cursor); return st.alive && st.decided === chosen.value; }).length;
      const text = "★ chosen: " + chosen.value + " under banner " + chosen.ballot + " · " +
        (knowing ? knowing + " of " + names.length + " caravans know it" : "no caravan knows it yet");
      const size = Math.max(7, Math.min(11, (11 * (MW - 16)) / measure(text, 11, true)));
      s += '<rect class="chosen-strip" x="0" y="' + (MH - 24) + '" width="' + MW + '" height="24"/>' +
        '<text class="chosen-title" x="8" y="' + (MH - 8) + '" style="font-size:' + size.toFixed(1) + 'px">' + esc(text) + "</text>";
    }
    map.innerHTML = '<defs><pattern id="map-storm" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(30)">' +
      '<rect width="10" height="10" fill="#c99b5c"/><line x1="0" y1="0" x2="0" y2="10" stroke="#a87a3e" stroke-width="4"/></pattern></defs>' + s;
  }

  // ---- the state panel, the caption, the clock ------------------------------------
  const tbody = document.querySelector("#states tbody");
  tbody.innerHTML = names.map((n) =>
    '<tr data-caravan="' + esc(n) + '"><th>' + esc(n) + '<span class="status"></span></th><td data-field="promise"></td>' +
    '<td data-field="vote"></td><td data-field="knows"></td></tr>').join("");
  const rows = Array.from(tbody.rows);
  function drawStates() {
    const maj = majorityNow(view.cursor);
    names.forEach((_, i) => {
      const st = stateOf(i, view.cursor), row = rows[i];
      row.className = (st.alive ? "" : "down") + (maj && maj.members.includes(i) ? " q1" : "") + (maj && maj.overlap.includes(i) ? " warn" : "");
      row.dataset.status = st.alive ? "standing" : "collapsed";
      row.cells[0].lastChild.textContent = st.alive ? "" : " (collapsed)";
      row.cells[1].textContent = st.promise;
      row.cells[2].textContent = st.vote;
      row.cells[3].textContent = st.decided || "—";
      row.cells[3].className = st.decided ? "decided" : "";
    });
  }
  function drawNow() {
    const k = view.cursor;
    $("clock").textContent = "t = " + Math.floor(view.t) + " / " + D.end + " · event " + (k + 1) + " of " + times.length;
    const h = k >= 0 ? headlineAt[k] : -1, note = k >= 0 ? noteAt[k] : -1, maj = majorityNow(k);
    $("now-story").textContent = h >= 0 ? D.story[h] : "The day begins: " + names.join(", ") + " wait in the desert.";
    $("now-story").title = $("now-story").textContent;
    $("now-story").dataset.ev = String(h);
    $("now-note").hidden = note < 0;
    $("now-note").textContent = note >= 0 ? D.story[note] + (times[note] < times[k] ? " (t=" + times[note] + ")" : "") : "";
    $("now-note").dataset.ev = String(note);
    $("now-note").title = $("now-note").textContent;
    $("now-majority").hidden = !maj;
    $("now-majority").textContent = maj ? majorityText(maj) : "";
    $("now-protocol").textContent = k >= 0 ? "t=" + times[k] + "  " + D.protocol[k] : "";
    $("btn-play").textContent = view.playing ? "❚❚ pause" : "▶ play";
    slider.value = String(Math.floor(view.t));
    // a journey's log view (assets/journey.js) follows the time drawn
    document.dispatchEvent(new CustomEvent("desert-time", { detail: { t: Math.floor(view.t) } }));
  }

  // ---- details: both voices ----------------------------------------------------------
  function voiceBlock(k, heading) {
    return '<div class="voice"><b>' + esc(heading) + "</b> t=" + times[k] + "</div>" +
      '<div class="voice"><b>story</b> ' + esc(D.story[k]) + "</div>" +
      '<div class="voice proto"><b>protocol</b> ' + esc(D.protocol[k]) + "</div>";
  }
  function showRider(id) {
    const r = riderById.get(id);
    if (!r) return;
    const send = D.events[r.si];
    let h = "<h3>Rider #" + r.id + " · " + esc(names[r.s]) + " → " + esc(names[r.d]) + " · " + esc(r.ty.toUpperCase()) + "</h3>";
    h += voiceBlock(r.si, "sent");
    if (r.fi >= 0) h += voiceBlock(r.fi, r.fate === 1 ? "lost" : "arrived");
    else h += '<div class="voice"><b>riding</b> still on the sand when the trace ends (due t=' + r.t1 + ")</div>";
    if (r.copy >= 0) h += '<div class="voice"><b>copy</b> a duplicate of rider #' + r.copy + ", sent by the desert, not by " + esc(names[r.s]) + "</div>";
    if (copiesOf.has(r.id)) h += '<div class="voice"><b>copied</b> the desert sent a second copy: rider #' + copiesOf.get(r.id) + "</div>";
    h += '<div><button data-go="' + r.t0 + '">go to departure</button><button data-go="' + r.t1 + '">go to ' + FATE[r.fate].replace("delivered", "arrival").replace("dropped", "loss").replace("riding", "due time") + "</button></div>";
    h += "<pre>" + esc(JSON.stringify(send.msg, null, 1)) + "</pre>";
    setDetails(h, String(r.id));
  }
  function showEvent(k) {
    const e = D.events[k];
    let h = "<h3>" + esc(e.kind) + (e.node ? " · " + esc(e.node) : "") + "</h3>" + voiceBlock(k, "when");
    if (majorityAt.has(k)) h += '<div class="voice"><b>majority</b> ' + esc(majorityText(majorities[majorityAt.get(k)])) + "</div>";
    h += '<div><button data-go="' + times[k] + '">go there</button></div><pre>' + esc(JSON.stringify(e, null, 1)) + "</pre>";
    setDetails(h, null);
  }
  const detailsPristine = $("details").innerHTML; // the hint shown while nothing is selected
  let detailsHtml = null;
  function setDetails(h, rider) { // again only when the words changed (a live step re-tells the selection)
    if (h === detailsHtml) return;
    detailsHtml = h;
    $("details").innerHTML = h;
    if (rider === null) delete $("details").dataset.rider; else $("details").dataset.rider = rider;
    $("details").scrollTop = 0;
  }
  $("details").addEventListener("click", (e) => {
    const go = e.target.closest("[data-go]");
    if (go) userTime(Number(go.dataset.go), true);
  });
  function markSelection() { // classes only: the band's elements stay as they are
    for (const el of svg.querySelectorAll(".sel")) el.classList.remove("sel");
    const r = view.selRider !== null && riderLayer.shown.get(view.selRider);
    if (r) r.classList.add("sel");
    const m = view.selEvent !== null && svg.querySelector('g.m[data-ev="' + view.selEvent + '"]');
    if (m) m.classList.add("sel");
  }
  function selectRider(id) { view.selRider = id; view.selEvent = null; detailsHtml = null; showRider(id); markSelection(); redrawAll(false); }
  function selectEvent(k) { view.selEvent = k; view.selRider = null; detailsHtml = null; showEvent(k); markSelection(); redrawAll(false); }

  // ---- moving through time -------------------------------------------------------------
  // Drawing happens at most once a frame, and only what changed: the band when asked (filters,
  // selection, zoom) or scrolled out of, the time-dependent parts when the time moved.
  // flush() draws what is pending at once: the live page, already in an animation frame when
  // it hands over the session's news, has it drawn in that frame rather than the next.
  let pending = false, bandDirty = false, dataDirty = false, timeDirty = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { if (pending) flush(); });
  }
  function flush() {
    pending = false;
    if (bandDirty || dataDirty) { drawBand(bandDirty || "data"); bandDirty = dataDirty = false; } else ensureBand();
    if (timeDirty) { timeDirty = false; drawCursor(); drawMap(); drawStates(); drawNow(); }
  }
  function redrawAll(bandToo) {
    if (bandToo) bandDirty = true;
    timeDirty = true;
    schedule();
  }
  function follow() { // keep the cursor line in view while playing or stepping
    const y = yOf(view.t);
    if (y < viewTop + 30 || y > viewTop + viewH - 30) {
      viewTop = Math.max(0, Math.min(y - viewH / 3, yOf(D.drawnUntil) + 40 - viewH));
      scroller.scrollTop = viewTop;
    }
  }
  function setTime(t, keepInView) {
    view.t = Math.max(0, Math.min(D.end, t));
    view.cursor = cursorAt(view.t);
    if (keepInView) follow();
    redrawAll();
  }
  function setCursor(k, keepInView) {
    view.cursor = Math.max(-1, Math.min(times.length - 1, k));
    view.t = view.cursor >= 0 ? times[view.cursor] : 0;
    if (keepInView) follow();
    redrawAll();
  }
  function step(dir, storyOnly) {
    stop();
    let k = view.cursor + dir;
    if (storyOnly) while (k >= 0 && k < times.length && D.levels[k] > 1) k += dir;
    setCursor(k, true);
  }
  let lastFrame = 0;
  function tick(now) {
    if (!view.playing) return;
    const dt = lastFrame ? Math.min(0.25, (now - lastFrame) / 1000) : 0;
    lastFrame = now;
    setTime(view.t + dt * view.speed, true);
    if (view.t >= D.end) { stop(); return; }
    requestAnimationFrame(tick);
  }
  function play() {
    if (view.t >= D.end) setTime(0, true);
    view.playing = true; lastFrame = 0;
    requestAnimationFrame(tick);
    redrawAll();
  }
  function stop() { view.playing = false; redrawAll(); }
  const toggle = () => (view.playing ? stop() : play());

  slider.addEventListener("input", () => { stop(); setTime(Number(slider.value), true); });
  $("btn-play").addEventListener("click", toggle);
  $("btn-prev").addEventListener("click", () => step(-1, false));
  $("btn-next").addEventListener("click", () => step(1, false));
  $("btn-start").addEventListener("click", () => { stop(); setCursor(-1, true); });
  $("btn-end").addEventListener("click", () => { stop(); setCursor(times.length - 1, true); });
  function zoom(factor) {
    const keep = tOf(viewTop + viewH / 2);
    view.scale = Math.max(0.02, Math.min(40, view.scale * factor));
    layout();
    viewTop = Math.max(0, yOf(keep) - viewH / 2);
    scroller.scrollTop = viewTop;
    redrawAll(true);
  }
  $("btn-zoom-in").addEventListener("click", () => zoom(1.5));
  $("btn-zoom-out").addEventListener("click", () => zoom(1 / 1.5));

  function userTime(t, keepInView) { // a time chosen by a click: the page's, or the session's
    stop();
    if (opts.onTime) opts.onTime(Math.max(0, Math.min(D.end, t))); else setTime(t, keepInView);
  }
  function show(k, t) { // a cursor and a time told from outside (a live session): t may lie after event k
    stop();
    view.cursor = Math.max(-1, Math.min(times.length - 1, k));
    view.t = Math.max(0, Math.min(D.drawnUntil, t));
    follow();
    redrawAll();
  }

  document.addEventListener("keydown", (e) => {
    const tag = e.target && e.target.tagName;
    if (tag === "SELECT" || (tag === "INPUT" && e.target.type !== "range" && e.target.type !== "checkbox")) return;
    switch (e.key) {
      case " ": e.preventDefault(); toggle(); break;
      case "ArrowRight": e.preventDefault(); step(1, e.shiftKey); break;
      case "ArrowLeft": e.preventDefault(); step(-1, e.shiftKey); break;
      case "Home": e.preventDefault(); stop(); setCursor(-1, true); break;
      case "End": e.preventDefault(); stop(); setCursor(times.length - 1, true); break;
      case "+": case "=": zoom(1.5); break;
      case "-": zoom(1 / 1.5); break;
      default: return;
    }
  }, listen);

  // Hover and click, delegated: the diagram's elements come and go as it scrolls.
  svg.addEventListener("mouseover", (e) => {
    const g = e.target.closest("g.r");
    const id = g ? Number(g.dataset.id) : null;
    if (id !== view.hotRider) { view.hotRider = id; setHot(id); drawMap(); }
  });
  svg.addEventListener("mouseleave", () => { view.hotRider = null; setHot(null); drawMap(); });
  function setHot(id) {
    for (const el of layers.riders.querySelectorAll("g.r.hot")) el.classList.remove("hot");
    if (id === null) return;
    for (const other of [id, copiesOf.get(id), riderById.get(id) && riderById.get(id).copy]) {
      if (other === undefined || other === null || other < 0) continue;
      const el = layers.riders.querySelector('g.r[data-id="' + other + '"]');
      if (el) el.classList.add("hot");
    }
  }
  svg.addEventListener("click", (e) => {
    const g = e.target.closest("g.r");
    if (g) { selectRider(Number(g.dataset.id)); return; }
    const m = e.target.closest("g.m");
    if (m) { selectEvent(Number(m.dataset.ev)); return; }
    // A click on the sand of the diagram moves the time cursor there.
    const box = svg.getBoundingClientRect();
    userTime(Math.round(tOf(e.clientY - box.top)), false);
  });
  map.addEventListener("click", (e) => {
    const c = e.target.closest("[data-id]");
    if (c) selectRider(Number(c.dataset.id));
  });
  scroller.addEventListener("scroll", () => { viewTop = scroller.scrollTop; schedule(); });
  // The page around may move the diagram's bottom edge (a live page's notice comes and goes):
  // the band then covers the new height. (Its width changes with the window, above.)
  if (window.ResizeObserver) {
    const watch = new ResizeObserver(() => {
      const h = scroller.clientHeight || 600;
      if (h !== viewH) { viewH = h; schedule(); }
    });
    watch.observe(scroller);
    if (opts.signal) opts.signal.addEventListener("abort", () => watch.disconnect());
  }
  window.addEventListener("resize", () => { layout(); redrawAll(true); }, listen);

  // ---- the legend: every shape and colour, in the glossary's words ----------------------------
  // Short words on the page; what each means in full when hovered.
  (() => {
    const key = (name, body, text, title) => '<span class="key" data-key="' + name + '" title="' + esc(title || text) + '">' +
      '<svg width="34" height="18" viewBox="0 0 34 18">' + body + "</svg>" + esc(text) + "</span>";
    const arrow = (ty, extra) => '<line x1="2" y1="9" x2="28" y2="9" stroke="var(--' + ty + ')" stroke-width="1.8"' + (extra || "") + ' marker-end="url(#ah-' + ty + ')"/>';
    const under = (colour) => '<line x1="2" y1="9" x2="28" y2="9" stroke="' + colour + '" stroke-width="7" stroke-linecap="round"/><line x1="2" y1="9" x2="28" y2="9" stroke="var(--promise)" stroke-width="2.6"/>';
    let h = '<div class="keys"><b>riders</b>';
    for (const ty of TYPES.concat(["other"])) {
      const [word, says] = TYPE_WORDS[ty];
      h += key("type-" + ty, arrow(ty), word, "a rider (message) " + word + ": " + says);
    }
    h += '</div><div class="keys"><b>diagram</b>' +
      key("lost", '<line x1="2" y1="9" x2="24" y2="9" stroke="#555" stroke-width="1.6" stroke-dasharray="5 3"/><path d="M20,4 l10,10 m0,-10 l-10,10" stroke="var(--danger)" stroke-width="2.2"/>',
        "lost rider", "dashed, ending in ✕: a rider lost, with why: lost (in the dunes), storm (a sandstorm), collapsed (its caravan), dropped (by hand)") +
      key("riding", arrow("other", ' stroke-dasharray="2 3"'), "still riding", "dotted: a rider still on the sand when the trace ends") +
      key("copy", arrow("other", ' stroke-dasharray="9 2 2 2"'), "copy", "dash-dot, “copy of #n”: the desert sent this rider twice") +
      key("self", '<path d="M8,4 c 22,-10 22,14 2,6" fill="none" stroke="#555" stroke-width="1.6"/>', "to itself", "a small loop: a caravan's rider to itself") +
      key("majority-riders", under("#f2c94c"), "promise in a majority", "gold beneath a promise: one of the promises that gave a proposer its majority (phase-1 quorum)") +
      key("warning-riders", under("#f08a8a"), "promise with the warning",
        "red beneath a promise: its caravan is in both majorities (it voted for the chosen campsite), so its promise carries that vote") +
      key("majority", MARK_GLYPH.majority(17, 9), "majority", "a proposer holds a majority of promises (a phase-1 quorum); its members are ringed on the map") +
      key("storm", '<rect x="1" y="1" width="14" height="16" fill="#f1c27d55"/><rect x="15" y="1" width="5" height="16" fill="url(#storm-hatch)"/><rect x="20" y="1" width="13" height="16" fill="#8fb3d955"/>',
        "sandstorm", "a sandstorm (partition): the lanes of one group share a tint; no rider crosses the hatched wall") +
      key("collapse", '<line x1="17" y1="0" x2="17" y2="18" stroke="var(--danger)" stroke-dasharray="2 5"/>', "collapsed", "red dots on a lane: the caravan lies collapsed (crash); only its logbook survives") +
      key("propose", MARK_GLYPH.propose(12, 10), "raises its banner", "⚑ a caravan wishes to camp somewhere and raises its banner (propose)") +
      key("adopt", MARK_GLYPH.adopt(17, 9), "carries forward", "a proposer carries forward the campsite of the highest vote its promises reported (adopt)") +
      key("decide", MARK_GLYPH.decide(17, 10), "knows", "a tent: this caravan knows the campsite (decided)") +
      key("chosen", '<line x1="4" y1="9" x2="30" y2="9" stroke="var(--decided)" stroke-width="2" stroke-dasharray="6 3"/>' + star(17, 9, 7),
        "chosen", "★ joined across the voters' lanes: chosen, the moment a majority has written its vote for one campsite under one banner; usually no caravan knows it yet") +
      key("note", '<line x1="2" y1="9" x2="32" y2="9" stroke="var(--note)" stroke-width="1.5" stroke-dasharray="4 3"/><text x="10" y="13" font-size="11" fill="var(--note)">✎</text>',
        "note", "a note across the desert at its moment: a teacher's, or a caravan's (where a broken variant departs from real Paxos)") +
      key("crash", MARK_GLYPH.crash(17, 9), "collapses", "a caravan collapses (crash)") +
      key("recover", MARK_GLYPH.recover(17, 9), "back", "back on its feet, with only its logbook (recover)") +
      key("timer", MARK_GLYPH.timer(17, 9), "patience", "its patience runs out (a timer)") +
      key("violation", '<rect x="1" y="3" width="32" height="12" rx="2" fill="var(--danger)"/>', "safety violated", "a red band across the desert: an invariant is broken") +
      '</div><div class="keys"><b>map</b>' +
      key("map-q1", '<circle cx="17" cy="9" r="6" fill="#fff3dc" stroke="#5a4127"/><circle cx="17" cy="9" r="8" fill="none" stroke="var(--majority)" stroke-width="2.5"/>',
        "in the majority", "a gold ring: one of the caravans whose promises gave the proposer its majority, while its phase 2 rides") +
      key("map-warn", '<circle cx="17" cy="9" r="5" fill="#fff3dc" stroke="#5a4127"/><circle cx="17" cy="9" r="8" fill="none" stroke="var(--danger)" stroke-width="2" stroke-dasharray="3 2"/>',
        "in both majorities", "a red ring: in the new majority and among the voters of the chosen campsite; its promise carries the warning") +
      key("map-knows", '<circle cx="17" cy="9" r="8" fill="#cdebd3" stroke="var(--decided)" stroke-width="2"/><path d="M12,13 L17,4 L22,13 z" fill="var(--decided)"/>', "knows", "green with a tent: knows the campsite") +
      key("map-down", '<circle cx="17" cy="9" r="8" fill="#bbb" stroke="#777" stroke-dasharray="3 2"/><path d="M13,5 l8,8 m0,-8 l-8,8" stroke="var(--danger)" stroke-width="2"/>', "collapsed", "grey and crossed: collapsed") +
      key("map-storm", '<rect x="1" y="1" width="32" height="16" fill="#c99b5c"/><circle cx="17" cy="9" r="6" fill="#faeed4"/>', "sandstorm", "a hatched sky: a sandstorm; each group keeps its own clear air") +
      key("map-chosen", '<rect x="1" y="3" width="32" height="12" fill="#e2f1e4"/><text x="4" y="13" font-size="10" fill="var(--decided)">★</text>', "chosen strip", "the bottom strip: the campsite chosen so far, and how many caravans know it") +
      "</div>";
    $("legend-keys").innerHTML = h;
    $("legend-words").innerHTML = "<b>words</b> " + D.glossary.map((w) =>
      '<span class="word" title="' + esc(w[2]) + '">' + esc(w[0]) + (w[0] === w[1] ? "" : " = " + esc(w[1])) + "</span>").join(" · ");
  })();

  // A scale that shows a short run whole and keeps a long one readable.
  const avail = Math.max(300, scroller.clientHeight - TOP - 40);
  view.scale = Math.max(1.5, Math.min(40, avail / Math.max(1, D.drawnUntil)));
  const kept = opts.keep;
  if (kept) { // the view of the previous mount, where it still applies
    view.scale = kept.scale;
    view.showSelf = $("filter-self").checked = kept.showSelf;
    for (const box of $("filter-caravans").querySelectorAll("input")) {
      box.checked = !kept.hiddenCaravans.includes(box.dataset.caravan);
      view.showCaravan[names.indexOf(box.dataset.caravan)] = box.checked;
    }
    for (const box of $("filter-types").querySelectorAll("input")) {
      box.checked = !kept.hiddenTypes.includes(box.dataset.type);
      if (!box.checked) view.showType.delete(box.dataset.type);
    }
    if (SPEEDS.includes(kept.speed)) { view.speed = kept.speed; speedSel.value = String(kept.speed); }
  }
  layout();
  setCursor(-1, false);
  if (kept) {
    viewTop = scroller.scrollTop = kept.top;
    if (kept.selRider !== null && riderById.has(kept.selRider)) selectRider(kept.selRider);
    else if (kept.selEvent !== null && kept.selEvent < times.length) selectEvent(kept.selEvent);
  }

  // A live session's data grew or was cut (a fork): the same drawing as a mount of `next` with
  // this view kept (keep()), without building the page again. `next` has the same caravans.
  // The lists are derived again (cheap), the labels placed again (their text measures are
  // kept), and the band, map, table and headline redrawn at the next frame, where the band
  // parses only the riders and marks whose drawing changed.
  function update(next) {
    D = next;
    derive();
    drawHead();
    viewH = scroller.clientHeight || 600; // the page around may have moved (a notice came or went)
    svg.setAttribute("height", String(Math.ceil(yOf(D.drawnUntil) + 40)));
    dataDirty = true;
    view.cursor = Math.min(view.cursor, times.length - 1);
    view.t = Math.min(view.t, D.end);
    if (view.hotRider !== null && !riderById.has(view.hotRider)) view.hotRider = null;
    if (view.selRider !== null && riderById.has(view.selRider)) showRider(view.selRider);
    else if (view.selEvent !== null && view.selEvent < times.length) showEvent(view.selEvent);
    else if (view.selRider !== null || view.selEvent !== null) {
      view.selRider = view.selEvent = null;
      detailsHtml = null;
      $("details").innerHTML = detailsPristine;
      delete $("details").dataset.rider;
    }
    redrawAll(false);
  }

  // For tests, the live page and the curious: a window onto the view.
  return {
    update,
    get t() { return view.t; }, get cursor() { return view.cursor; }, get scale() { return view.scale; },
    get riderCount() { return riders.length; }, setTime: (t) => { stop(); setTime(t, true); },
    setCursor: (k) => { stop(); setCursor(k, true); }, show,
    keep: () => ({
      scale: view.scale, top: viewTop, showSelf: view.showSelf, speed: view.speed,
      hiddenCaravans: names.filter((_, i) => !view.showCaravan[i]),
      hiddenTypes: TYPES.concat(["other"]).filter((ty) => !view.showType.has(ty)),
      selRider: view.selRider, selEvent: view.selEvent,
    }),
    flush: () => { if (pending) flush(); },
    labels: () => Array.from(placed, ([key, p]) => [key, p.x, p.y, p.anchor, p.text]).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    yOf, redrawNow: () => { drawBand(true); drawCursor(); drawMap(); drawStates(); drawNow(); },
    tellNow: () => drawNow(), // the headline lines alone, for a quick check of every step
  };
}

window.DesertViewer = { mount: mountDesertViewer };
(() => { // a page written by `export --html` carries its run: draw it
  const boot = document.getElementById("run-data");
  if (boot && boot.textContent.trim()) window.desertViewer = mountDesertViewer(JSON.parse(boot.textContent));
})();
