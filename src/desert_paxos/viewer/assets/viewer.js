// Desert Paxos viewer. Theory of operation:
// The page's JSON (built in Python from the trace) holds the events, both voices of each, the
// riders (one per message copy), storms, outages, lane marks and per-caravan state snapshots.
// The script never re-derives protocol state: it looks it up. The time cursor is a tick `t`
// (fractional while playing) and the index of the last event at or before it.
// The space-time diagram is one tall SVG of which only a band around the view is drawn, found
// through a time-bucket index of the riders; the band is redrawn only when scrolling leaves it
// or a filter, selection or zoom changes. Moving the time cursor only moves the cursor line and
// the veil that fogs the future, so scrubbing a 10,000-event trace costs a few attributes.
(() => {
  "use strict";
  const D = JSON.parse(document.getElementById("run-data").textContent);
  const $ = (id) => document.getElementById(id);
  const NS = "http://www.w3.org/2000/svg";
  const TYPES = ["prepare", "promise", "accept", "accepted", "nack", "decided", "inquire"];
  const FATE = ["delivered", "dropped", "riding"];
  const REASON_SHORT = { loss: "lost", sandstorm: "storm", crashed: "collapsed", hand: "dropped" };
  const BUBBLES = [["#faeed4", "#966e3c"], ["#d8e6f2", "#466e96"], ["#f3dae8", "#964678"], ["#e0efce", "#50823c"]];
  const STORM_TINTS = ["#f1c27d55", "#8fb3d955", "#d98fc455", "#b7d98f55"];
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const typeClass = (ty) => "t-" + (TYPES.includes(ty) ? ty : "other");
  const fmtBallot = (b) => (Array.isArray(b) && b.length === 2 ? "(" + b[0] + ", " + b[1] + ")" : "none");

  const names = D.caravans;
  const times = D.times;
  const riders = D.riders.map((a) => ({
    id: a[0], s: a[1], d: a[2], ty: a[3], t0: a[4], t1: a[5], fate: a[6], reason: a[7],
    copy: a[8], si: a[9], fi: a[10],
  }));
  const riderById = new Map(riders.map((r) => [r.id, r]));

  // Riders by time bucket, so "who rides between tA and tB" never scans them all.
  const LINGER = 60; // ticks a lost rider's cross may stay on the map
  const BUCKET = Math.max(1, Math.ceil((D.drawnUntil + 1) / 2048));
  const buckets = [];
  riders.forEach((r, i) => {
    for (let b = Math.floor(r.t0 / BUCKET); b <= Math.floor((r.t1 + LINGER) / BUCKET); b++) (buckets[b] || (buckets[b] = [])).push(i);
  });
  function ridersBetween(tA, tB) { // riders whose [t0, t1 + LINGER] meets [tA, tB], in sending order
    const seen = new Set();
    for (let b = Math.max(0, Math.floor(tA / BUCKET)); b <= Math.floor(tB / BUCKET); b++) for (const i of buckets[b] || []) seen.add(i);
    return Array.from(seen).sort((a, b) => a - b).map((i) => riders[i]);
  }
  const copiesOf = new Map();
  for (const r of riders) if (r.copy >= 0) copiesOf.set(r.copy, r.id);

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
    return row ? { alive: !!row[1], promised: row[2], accepted: row[3], decided: row[4] }
      : { alive: true, promised: "—", accepted: "—", decided: "" };
  }
  function stormAt(t) {
    for (const s of D.storms) if (s.start <= t && (t < s.end || (t === s.end && s.end === D.end))) return s;
    return null;
  }
  D.storms = D.storms.map((s) => ({ start: s[0], end: s[1], groups: s[2] }));
  function passes(r) {
    if (!view.showType.has(TYPES.includes(r.ty) ? r.ty : "other")) return false;
    if (r.s === r.d && !view.showSelf) return false;
    return view.showCaravan[r.s] || view.showCaravan[r.d];
  }

  // ---- header, controls, filters ----------------------------------------------
  $("title").textContent = "Desert Paxos — " + D.scenario + " · seed " + D.seed + " · " + D.variant +
    (D.quorums[0] ? " · quorums " + D.quorums[0] + "/" + D.quorums[1] : "");
  $("description").textContent = D.description;
  const slider = $("slider");
  slider.max = String(D.end);
  if (D.violations.length) {
    const v = D.events[D.violations[0]];
    const banner = $("violation-banner");
    banner.hidden = false;
    banner.textContent = "⚠ SAFETY VIOLATED at t=" + v.t + ": " + (v.invariant || "?") + " — " + (v.message || "") + " (click to go there)";
    banner.addEventListener("click", () => { stop(); selectEvent(D.violations[0]); setCursor(D.violations[0], true); });
  }
  if (D.incomplete) { // a trace without its end event: say so, with what it holds
    const banner = $("incomplete-banner");
    banner.hidden = false;
    banner.textContent = "⚠ " + D.incomplete;
  }
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
    addCheck($("filter-types"), ty, true, (on) => { if (on) view.showType.add(ty); else view.showType.delete(ty); }, typeClass(ty)).dataset.type = ty;
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
  for (const name of ["storms", "axis", "lanes", "riders", "marks", "violations"]) {
    const g = document.createElementNS(NS, "g");
    g.setAttribute("id", "layer-" + name);
    svg.appendChild(g); layers[name] = g;
  }

  function layout() {
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
    let body;
    if (r.s === r.d) { // a word to itself: a small loop on the lane
      const d = "M" + x0 + "," + y0 + " c 22,-10 22,14 2,6";
      body = '<path class="hit" d="' + d + '"/><path class="ln" d="' + d + '" marker-end="url(#ah-' + ty + ')"/>';
    } else if (r.fate === 1) { // lost: the line stops short of the lane in a cross
      const xe = x0 + (x1 - x0) * 0.86, ye = y1;
      body = '<line class="hit" x1="' + x0 + '" y1="' + y0 + '" x2="' + xe + '" y2="' + ye + '"/>' +
        '<line class="ln" x1="' + x0 + '" y1="' + y0 + '" x2="' + xe + '" y2="' + ye + '"/>' +
        '<path class="x" d="M' + (xe - 5) + "," + (ye - 5) + " l10,10 m0,-10 l-10,10" + '"/>' +
        '<text class="why" x="' + (xe + (x1 > x0 ? -8 : 8)) + '" y="' + (ye + 12) + '" text-anchor="' + (x1 > x0 ? "end" : "start") + '">' +
        esc(REASON_SHORT[r.reason] || r.reason) + "</text>";
    } else {
      body = '<line class="hit" x1="' + x0 + '" y1="' + y0 + '" x2="' + x1 + '" y2="' + y1 + '"/>' +
        '<line class="ln" x1="' + x0 + '" y1="' + y0 + '" x2="' + x1 + '" y2="' + y1 + '" marker-end="url(#ah-' + ty + ')"/>';
    }
    if (r.copy >= 0) {
      body += '<text class="tag" x="' + ((x0 + x1) / 2 + 4) + '" y="' + ((y0 + y1) / 2 - 3) + '">copy of #' + r.copy + "</text>";
    }
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
  };
  function markLabel(kind, e) {
    switch (kind) {
      case "propose": return "⚑ " + e.value;
      case "adopt": return "adopts " + e.value;
      case "decide": return "✓ " + e.value;
      case "crash": return "collapses";
      case "recover": return "back";
      default: return "";
    }
  }

  const markTimes = D.marks.map((mk) => times[mk[0]]);
  const outagesOf = names.map((_, i) => D.outages.filter((o) => o[0] === i));
  let viewTop = 0, viewH = 600; // the scroller's position and height, kept here: reading them forces a layout
  let band = null; // the view the diagram's band was drawn for

  // A layer whose items are keyed: an update removes the items that left the band and parses only
  // the ones that entered it, so scrolling costs what scrolled into view, not the whole band.
  const scratch = document.createElement("div");
  function keyedLayer(layer) {
    const shown = new Map();
    return {
      shown,
      update(items, keyOf, render) {
        const wanted = new Set();
        const fresh = [];
        let html = "";
        for (const item of items) {
          const key = keyOf(item);
          wanted.add(key);
          if (!shown.has(key)) { fresh.push(key); html += render(item); }
        }
        for (const [key, el] of shown) if (!wanted.has(key)) { el.remove(); shown.delete(key); }
        if (!html) return;
        scratch.innerHTML = '<svg xmlns="' + NS + '">' + html + "</svg>";
        const made = Array.from(scratch.firstChild.children);
        made.forEach((el, i) => { layer.appendChild(el); shown.set(fresh[i], el); });
      },
      clear() { layer.textContent = ""; shown.clear(); },
    };
  }
  const riderLayer = keyedLayer(layers.riders), markLayer = keyedLayer(layers.marks), axisLayer = keyedLayer(layers.axis);

  function ensureBand() { // only when the view moved: the time cursor does not touch the band
    if (!band || band.top !== viewTop || band.height !== viewH) drawBand(false);
  }
  function drawBand(rebuild) {
    if (rebuild) { riderLayer.clear(); markLayer.clear(); axisLayer.clear(); }
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
      if (st.start >= tMin) {
        s += '<text class="storm-label" x="' + (x1 - 4) + '" y="' + (yOf(st.start) + 12) + '" text-anchor="end">sandstorm</text>';
      }
      if (st.end <= tMax && st.end < D.end) {
        s += '<text class="storm-label" x="' + (x1 - 4) + '" y="' + (yOf(st.end) - 4) + '" text-anchor="end">calm</text>';
      }
    }
    layers.storms.innerHTML = s;

    // Time axis.
    const step = niceStep(48 / view.scale), ticks = [];
    for (let k = Math.max(0, Math.ceil(tMin / step) * step); k <= tMax && k <= D.drawnUntil; k += step) ticks.push(k);
    axisLayer.update(ticks, (k) => k, (k) => '<g class="axis"><line x1="' + x0 + '" x2="' + x1 + '" y1="' + yOf(k) + '" y2="' + yOf(k) + '"/>' +
      '<text x="' + (x0 - 6) + '" y="' + (yOf(k) + 3) + '" text-anchor="end">' + k + "</text></g>");

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
        if (o[1] >= tMin) l += '<text class="gap-label" x="' + (laneX(i) + 6) + '" y="' + (yOf(o[1]) + 22) + '">collapsed</text>';
        from = Math.max(from, gb);
      }
      if (yb > from) l += '<line class="lane" x1="' + laneX(i) + '" x2="' + laneX(i) + '" y1="' + from + '" y2="' + yb + '"/>';
    });
    layers.lanes.innerHTML = l;

    // Riders in the band.
    const inBand = ridersBetween(tMin, tMax).filter((r) => r.t1 >= tMin && r.t0 <= tMax && passes(r));
    riderLayer.update(inBand, (r) => r.id, riderShape);

    // Marks on lanes.
    const marks = [];
    for (let i = upperBound(markTimes, tMin - 1e-9); i < D.marks.length && markTimes[i] <= tMax; i++) {
      if (view.showCaravan[D.marks[i][1]]) marks.push(i);
    }
    markLayer.update(marks, (i) => i, (i) => {
      const mk = D.marks[i], x = laneX(mk[1]), y = yOf(markTimes[i]), e = D.events[mk[0]];
      const glyph = MARK_GLYPH[mk[2]] || MARK_GLYPH.note;
      const label = markLabel(mk[2], e);
      return '<g class="m ' + mk[2] + (view.selEvent === mk[0] ? " sel" : "") + '" data-ev="' + mk[0] + '">' +
        glyph(x, y) + (label ? '<text x="' + (x - 10) + '" y="' + (y + 4) + '" text-anchor="end">' + esc(label) + "</text>" : "") + "</g>";
    });

    // Violations: loud, across every lane.
    let v = "";
    for (const vi of D.violations) {
      const y = yOf(times[vi]), e = D.events[vi];
      if (times[vi] < tMin || times[vi] > tMax) continue;
      v += '<g class="violation m" data-ev="' + vi + '"><line x1="' + x0 + '" x2="' + x1 + '" y1="' + y + '" y2="' + y + '"/>' +
        '<rect x="' + (x0 + 4) + '" y="' + (y + 3) + '" width="' + (x1 - x0 - 8) + '" height="18" rx="3"/>' +
        '<text x="' + (x0 + 10) + '" y="' + (y + 16) + '">⚠ SAFETY VIOLATED: ' + esc(e.invariant || "?") + " — " + esc(e.message || "") + "</text></g>";
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
  const map = $("map");
  const CX = 200, CY = 188, RAD = 118;
  const pos = names.map((_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / names.length;
    return [CX + RAD * Math.cos(a), CY + RAD * Math.sin(a)];
  });
  function riderPoint(r, f) { // rim to rim, a little right of the straight path so two-way traffic separates
    const [cx0, cy0] = pos[r.s], [cx1, cy1] = pos[r.d];
    const len = Math.hypot(cx1 - cx0, cy1 - cy0) || 1, ux = (cx1 - cx0) / len, uy = (cy1 - cy0) / len;
    const ax = cx0 + ux * 20, ay = cy0 + uy * 20, bx = cx1 - ux * 20, by = cy1 - uy * 20;
    const off = 6;
    return [ax + (bx - ax) * f - uy * off, ay + (by - ay) * f + ux * off];
  }
  // The round a caravan promised, as the map's short label: "(3, Aghilas)" reads "b3".
  const roundOf = (promised) => { const m = /^\((\d+),/.exec(promised); return m ? "b" + m[1] : ""; };
  function drawMap() {
    const t = view.t, cursor = view.cursor;
    let s = "";
    const storm = stormAt(t);
    if (storm) {
      s += '<rect x="0" y="0" width="400" height="350" fill="url(#map-storm)"/>';
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
    names.forEach((n, i) => {
      const st = stateOf(i, cursor);
      const [x, y] = pos[i];
      const cls = "caravan" + (st.alive ? "" : " down") + (st.alive && st.decided ? " knows" : "");
      s += '<g class="' + cls + '" data-caravan="' + esc(n) + '" data-status="' + (st.alive ? "alive" : "collapsed") + '" data-decided="' + esc(st.decided) + '">' +
        '<circle cx="' + x + '" cy="' + y + '" r="18"/>' +
        (!st.alive ? '<path class="down-x" d="M' + (x - 8) + "," + (y - 8) + " l16,16 m0,-16 l-16,16" + '"/>'
          : st.decided ? '<path class="tent" d="M' + (x - 10) + "," + (y + 8) + " L" + x + "," + (y - 10) + " L" + (x + 10) + "," + (y + 8) + ' z"/>'
          : '<text class="ballot" x="' + x + '" y="' + (y + 4) + '">' + esc(roundOf(st.promised)) + "</text>") +
        '<text class="name" x="' + x + '" y="' + (y + 32) + '">' + esc(n) + "</text>" +
        (st.alive && st.decided ? '<text class="camp" x="' + x + '" y="' + (y - 24) + '">' + esc(st.decided) + "</text>" : "") +
        (st.alive ? "" : '<text x="' + x + '" y="' + (y + 44) + '" style="fill:#c0262d">collapsed</text>') + "</g>";
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
    s += '<rect x="0" y="0" width="400" height="22" fill="#f3dfb6"/><text class="clock" x="8" y="15">t = ' + Math.floor(t) + "</text>";
    if (storm) {
      s += '<text class="storm-title" x="394" y="15" text-anchor="end">sandstorm: ' +
        esc(storm.groups.map((g) => g.map((i) => names[i]).join(", ")).join(" | ")) + "</text>";
    }
    map.innerHTML = '<defs><pattern id="map-storm" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(30)">' +
      '<rect width="10" height="10" fill="#c99b5c"/><line x1="0" y1="0" x2="0" y2="10" stroke="#a87a3e" stroke-width="4"/></pattern></defs>' + s;
  }

  // ---- the state panel, the caption, the clock ------------------------------------
  const tbody = document.querySelector("#states tbody");
  tbody.innerHTML = names.map((n) =>
    '<tr data-caravan="' + esc(n) + '"><th>' + esc(n) + '</th><td data-field="status"></td><td data-field="promised"></td>' +
    '<td data-field="accepted"></td><td data-field="decided"></td></tr>').join("");
  const rows = Array.from(tbody.rows);
  function drawStates() {
    names.forEach((_, i) => {
      const st = stateOf(i, view.cursor), row = rows[i];
      row.className = st.alive ? "" : "down";
      row.cells[1].textContent = st.alive ? "standing" : "collapsed";
      row.cells[2].textContent = st.promised;
      row.cells[3].textContent = st.accepted;
      row.cells[4].textContent = st.decided || "—";
      row.cells[4].className = st.decided ? "decided" : "";
    });
  }
  function drawNow() {
    const k = view.cursor;
    $("clock").textContent = "t = " + Math.floor(view.t) + " / " + D.end + " · event " + (k + 1) + " of " + times.length;
    $("now-story").textContent = k >= 0 ? D.story[k] : "The day begins: " + names.join(", ") + " wait in the desert.";
    $("now-protocol").textContent = k >= 0 ? "t=" + times[k] + "  " + D.protocol[k] : "";
    $("btn-play").textContent = view.playing ? "❚❚ pause" : "▶ play";
    slider.value = String(Math.floor(view.t));
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
    $("details").innerHTML = h;
    $("details").dataset.rider = String(r.id);
    $("details").scrollTop = 0;
  }
  function showEvent(k) {
    const e = D.events[k];
    let h = "<h3>" + esc(e.kind) + (e.node ? " · " + esc(e.node) : "") + "</h3>" + voiceBlock(k, "when");
    h += '<div><button data-go="' + times[k] + '">go there</button></div><pre>' + esc(JSON.stringify(e, null, 1)) + "</pre>";
    $("details").innerHTML = h;
    delete $("details").dataset.rider;
    $("details").scrollTop = 0;
  }
  $("details").addEventListener("click", (e) => {
    const go = e.target.closest("[data-go]");
    if (go) { stop(); setTime(Number(go.dataset.go), true); }
  });
  function markSelection() { // classes only: the band's elements stay as they are
    for (const el of svg.querySelectorAll(".sel")) el.classList.remove("sel");
    const r = view.selRider !== null && riderLayer.shown.get(view.selRider);
    if (r) r.classList.add("sel");
    const m = view.selEvent !== null && svg.querySelector('g.m[data-ev="' + view.selEvent + '"]');
    if (m) m.classList.add("sel");
  }
  function selectRider(id) { view.selRider = id; view.selEvent = null; showRider(id); markSelection(); redrawAll(false); }
  function selectEvent(k) { view.selEvent = k; view.selRider = null; showEvent(k); markSelection(); redrawAll(false); }

  // ---- moving through time -------------------------------------------------------------
  // Drawing happens at most once a frame, and only what changed: the band when asked (filters,
  // selection, zoom) or scrolled out of, the time-dependent parts when the time moved.
  let pending = false, bandDirty = false, timeDirty = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (bandDirty) { bandDirty = false; drawBand(true); } else ensureBand();
      if (timeDirty) { timeDirty = false; drawCursor(); drawMap(); drawStates(); drawNow(); }
    });
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
  });

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
    stop();
    setTime(Math.round(tOf(e.clientY - box.top)), false);
  });
  map.addEventListener("click", (e) => {
    const c = e.target.closest("[data-id]");
    if (c) selectRider(Number(c.dataset.id));
  });
  scroller.addEventListener("scroll", () => { viewTop = scroller.scrollTop; schedule(); });
  window.addEventListener("resize", () => { layout(); redrawAll(true); });

  // A scale that shows a short run whole and keeps a long one readable.
  const avail = Math.max(300, scroller.clientHeight - TOP - 40);
  view.scale = Math.max(1.5, Math.min(8, avail / Math.max(1, D.drawnUntil)));
  layout();
  setCursor(-1, false);

  // For tests and the curious: a read-only window onto the view.
  window.desertViewer = {
    get t() { return view.t; }, get cursor() { return view.cursor; }, get scale() { return view.scale; },
    riderCount: riders.length, setTime: (t) => { stop(); setTime(t, true); },
    yOf, redrawNow: () => { drawBand(true); drawCursor(); drawMap(); drawStates(); drawNow(); },
  };
})();
