// Command-centre dashboard: fetches each panel's JSON (same origin), draws ECharts charts and a Leaflet map of the
// grid boundaries coloured by requests, with a legend. Texts come from data-* attributes (already translated by the
// template); names reach Leaflet as text through GongzhiMap (gongzhi-map.js), never as HTML.
// Big-screen mode (one dark theme, everything on one 1920×1080 screen, nothing to operate) refreshes every panel on
// its own every data-refresh seconds. Sets data-ready="true" on #dashboard once every panel has been drawn once (the
// browser tests wait for it).
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root || !window.echarts) return;
  const t = root.dataset;
  const month = t.month;
  const big = t.big === "1";
  const theme = big
    ? { text: "#e8eef5", muted: "#b7c7d8", line: "#2a4a6b", empty: "#1c3550", edge: "#9fb6cc", land: "#0e2236" }
    : { text: "#222", muted: "#555", line: "#e0e6ec", empty: "#dfe6ec", edge: "#1d3b53", land: "#e9eef2" };
  const palette = ["#4f8fd0", "#62b07a", "#e0a04a", "#b07cd6", "#e06a6a", "#3fb5b5", "#c9b43a"];
  const charts = {};
  let map = null;
  let layer = null;
  let legend = null;
  let heatLabels = [];

  function url(panel, extra) {
    return t.panelUrl.replace("PANEL", panel) + "?month=" + encodeURIComponent(month) + (extra || "");
  }
  function get(panel, extra) {
    return fetch(url(panel, extra), { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      (r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status)))
    );
  }
  function pct(v) {
    return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%";
  }
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  const base = {
    color: palette,
    textStyle: { color: theme.text, fontFamily: "Noto Sans CJK SC, sans-serif", fontSize: big ? 14 : 12 },
    animation: false,
  };
  const axis = {
    axisLabel: { color: theme.text },
    axisLine: { lineStyle: { color: theme.muted } },
    splitLine: { lineStyle: { color: theme.line } },
  };
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }
  function item(tag, text, className) {
    const el = document.createElement(tag);
    el.textContent = text;
    if (className) el.className = className;
    return el;
  }

  function headline(d) {
    document.querySelectorAll("[data-kpi]").forEach((el) => {
      const v = d.figures[el.dataset.kpi];
      el.textContent = el.dataset.pct ? pct(v) : v === null ? "—" : String(v);
    });
    document.querySelectorAll("[data-today]").forEach((el) => {
      el.textContent = String(d.today[el.dataset.today]);
    });
    chart("chart-721").setOption(
      Object.assign({}, base, {
        legend: { bottom: 0, textStyle: { color: theme.text } },
        series: [
          {
            type: "pie",
            radius: ["35%", "62%"],
            center: ["50%", "45%"],
            stillShowZeroSum: false, // no cases resolved yet: an empty ring, not five equal slices of nothing
            label: { color: theme.text, formatter: "{b}\n{d}%" },
            // A level with nothing resolved keeps its legend entry but gets no label on the ring.
            data: d.level_721.map((x) =>
              x.value ? { name: x.name, value: x.value } : { name: x.name, value: 0, label: { show: false }, labelLine: { show: false } }
            ),
          },
        ],
      })
    );
    const s = d.deadlines;
    chart("chart-deadlines").setOption(
      Object.assign({}, base, {
        grid: { left: 40, right: 16, top: 24, bottom: 28 },
        xAxis: Object.assign({ type: "category", data: [t.tOnTrack, t.tWarning, t.tOverdue, t.tOnHold] }, axis),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, axis),
        series: [
          {
            type: "bar",
            barMaxWidth: 64,
            label: { show: true, position: "top", color: theme.text },
            data: [
              { value: s.on_track, itemStyle: { color: "#3c8d5a" } },
              { value: s.warning, itemStyle: { color: "#c0772a" } },
              { value: s.overdue, itemStyle: { color: "#b24a4a" } },
              { value: s.on_hold, itemStyle: { color: "#6b7f94" } },
            ],
          },
        ],
      })
    );
  }

  function trend(d) {
    chart("chart-trend").setOption(
      Object.assign({}, base, {
        legend: { top: 0, textStyle: { color: theme.text } },
        grid: { left: 40, right: 16, top: 30, bottom: 28 },
        xAxis: Object.assign({ type: "category", data: d.days.map((x) => x.slice(5)) }, axis),
        yAxis: [Object.assign({ type: "value", minInterval: 1 }, axis)],
        series: [
          { name: t.tReceived, type: "line", smooth: true, showSymbol: false, data: d.received },
          { name: t.tResolved, type: "line", smooth: true, showSymbol: false, data: d.resolved },
        ],
      })
    );
  }

  function categories(d) {
    const rows = d.categories.slice(0, big ? 8 : 12).reverse();
    chart("chart-categories").setOption(
      Object.assign({}, base, {
        grid: { left: 8, right: 36, top: 8, bottom: 20, containLabel: true },
        xAxis: Object.assign({ type: "value", minInterval: 1 }, axis),
        yAxis: Object.assign({ type: "category", data: rows.map((c) => c.name) }, axis, {
          axisLabel: { color: theme.text, width: big ? 120 : 100, overflow: "truncate" },
        }),
        series: [
          {
            type: "bar",
            barMaxWidth: 28,
            data: rows.map((c) => c.received),
            itemStyle: { color: "#4f8fd0" },
            label: { show: true, position: "right", color: theme.text },
          },
        ],
      })
    );
  }

  // Five shades for the areas with requests, grey for none; the legend says what each shade means.
  const shades = ["#fde0c5", "#f9b17a", "#f0803c", "#d0501f", "#a8231c"];
  function bucket(n, max) {
    return Math.min(shades.length - 1, Math.ceil((n / (max || 1)) * shades.length) - 1);
  }
  function colour(n, max) {
    return n ? shades[bucket(n, max)] : theme.empty;
  }
  function ranges(max) {
    const out = [{ colour: theme.empty, text: "0" }];
    shades.forEach((c, i) => {
      const from = Math.floor((i * max) / shades.length) + 1;
      const to = Math.floor(((i + 1) * max) / shades.length);
      if (to >= from) out.push({ colour: c, text: from === to ? String(from) : from + "–" + to });
    });
    return out;
  }
  const Legend = window.L
    ? L.Control.extend({
        options: { position: "bottomright" },
        onAdd: function () {
          this._box = L.DomUtil.create("div", "heat-legend");
          return this._box;
        },
        show: function (max) {
          clear(this._box);
          this._box.appendChild(item("div", t.tLegend + " (" + t.tCases + ")", "heat-legend-title"));
          ranges(max).forEach((r) => {
            const row = item("div", "", "heat-legend-row");
            const swatch = item("span", "", "heat-swatch");
            swatch.style.background = r.colour;
            row.appendChild(swatch);
            row.appendChild(item("span", r.text));
            this._box.appendChild(row);
          });
        },
      })
    : null;

  function heat(d) {
    const el = document.getElementById("heat-map");
    if (!window.L || !window.GongzhiMap || !el) return;
    const M = window.GongzhiMap;
    if (!map) {
      map = M.create(el);
      legend = new Legend().addTo(map);
      map.on("zoomend", () => M.declutter(map, heatLabels));
    }
    if (layer) layer.remove();
    heatLabels.forEach((l) => l.remove());
    heatLabels = [];
    const drawn = d.features.filter((f) => f.geometry);
    if (!drawn.length) {
      el.dataset.ready = "empty";
      return;
    }
    const max = Math.max(...drawn.map((f) => f.properties.received));
    layer = L.geoJSON(
      { type: "FeatureCollection", features: drawn },
      {
        style: (f) => ({ color: theme.edge, weight: 1, fillOpacity: 0.85, fillColor: colour(f.properties.received, max) }),
        onEachFeature: (f, l) => {
          const p = f.properties;
          M.tooltip(l, [p.name, p.received + " " + t.tCases], { sticky: true });
          if (!p.leaf) l.on("click", () => (window.location.href = t.nodeUrl.replace("/0/", "/" + p.id + "/") + "?month=" + month + (big ? "&screen=1" : "")));
        },
      }
    ).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    // Names and counts on the areas (the big screen has no pointer to hover with); crowded ones take turns.
    layer.eachLayer((l) => {
      const p = l.feature.properties;
      const label = M.label(l.getCenter(), [p.name, String(p.received)], { className: "map-label heat-label" });
      label.addTo(map);
      heatLabels.push(label);
    });
    legend.show(max);
    M.declutter(map, heatLabels);
    el.dataset.ready = "true";
  }

  function fillRanking(list, small, data, limit) {
    clear(list);
    data.rows.slice(0, limit).forEach((r) => {
      const li = document.createElement("li");
      li.appendChild(item("span", r.name, "rank-name"));
      li.appendChild(item("span", (data.by.endsWith("_rate") ? pct(r.value) : String(r.value)) + " · n=" + r.sample, "rank-value"));
      list.appendChild(li);
    });
    small.textContent = data.too_small.length ? t.tTooSmall + " " + data.too_small.slice(0, 12).join("、") + (data.too_small.length > 12 ? " …" : "") : "";
  }
  function rankings(d) {
    document.getElementById("rank-by").textContent = d.title;
    document.getElementById("rank-note").textContent = d.note;
    const limit = big ? 5 : 10;
    fillRanking(document.getElementById("rank-areas"), document.getElementById("rank-areas-small"), d.areas, limit);
    fillRanking(document.getElementById("rank-units"), document.getElementById("rank-units-small"), d.units, limit);
  }

  function hot(d) {
    const list = document.getElementById("hot");
    clear(list);
    document.getElementById("hot-message").textContent = d.available ? (d.issues.length ? "" : t.tNone) : d.message;
    d.issues.slice(0, big ? 6 : 10).forEach((i) => {
      const li = item("li", "");
      li.appendChild(item("span", i.name, "hot-name"));
      li.appendChild(item("span", i.count + " " + t.tCases, "hot-count"));
      list.appendChild(li);
    });
  }

  // The service market: this month's figures with last month's beneath, residents served per day, per community.
  function market(d) {
    const panel = document.getElementById("market-panel");
    const shown = (el, v) => (el.dataset.pct ? pct(v) : v === null || v === undefined ? "—" : String(v));
    panel.querySelectorAll("[data-market]").forEach((el) => {
      el.textContent = shown(el, d.figures[el.dataset.market]);
    });
    panel.querySelectorAll("[data-market-last]").forEach((el) => {
      el.textContent = panel.dataset.tLast + " " + shown(el, d.last[el.dataset.marketLast]);
    });
    chart("chart-market").setOption(
      Object.assign({}, base, {
        grid: { left: 40, right: 16, top: 12, bottom: 28 },
        xAxis: Object.assign({ type: "category", data: d.days.map((x) => x.slice(5)) }, axis),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, axis),
        series: [{ name: panel.dataset.tServed, type: "bar", barMaxWidth: 18, data: d.served_per_day }],
      })
    );
    const body = document.getElementById("market-rows");
    clear(body);
    d.communities.forEach((c) => {
      const tr = item("tr", "");
      tr.appendChild(item("th", c.name));
      tr.lastChild.scope = "row";
      [c.figures.bookings, c.figures.served, pct(c.figures.no_show_rate), c.figures.served_60, c.figures.subsidy].forEach(
        (v) => tr.appendChild(item("td", String(v), "num"))
      );
      body.appendChild(tr);
    });
  }

  // The care registry: residents in care per colour (today), visits this month and on time, per area one level down;
  // counts only, never a person.
  function care(d) {
    const panel = document.getElementById("care-panel");
    const shown = (el, v) => (el.dataset.pct ? pct(v) : v === null || v === undefined ? "—" : String(v));
    panel.querySelectorAll("[data-care]").forEach((el) => {
      el.textContent = shown(el, d.figures[el.dataset.care]);
    });
    const areas = d.areas.length ? d.areas : [{ name: panel.dataset.tArea, figures: d.figures }];
    const colours = { red: "#d64545", yellow: "#e0a04a", green: "#4f9a62" };
    chart("chart-care").setOption(
      Object.assign({}, base, {
        legend: { bottom: 0, textStyle: { color: theme.text } },
        grid: { left: 40, right: 16, top: 12, bottom: 56 },
        xAxis: Object.assign({ type: "category", data: areas.map((a) => a.name), axisLabel: { color: theme.text, interval: 0, rotate: areas.length > 6 ? 30 : 0 } }, axis),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, axis),
        series: ["red", "yellow", "green"].map((level) => ({
          name: panel.dataset["t" + level.charAt(0).toUpperCase() + level.slice(1)],
          type: "bar",
          stack: "level",
          barMaxWidth: 28,
          itemStyle: { color: colours[level] },
          data: areas.map((a) => a.figures[level]),
        })),
      })
    );
    const body = document.getElementById("care-rows");
    clear(body);
    areas.forEach((a) => {
      const tr = item("tr", "");
      tr.appendChild(item("th", a.name));
      tr.lastChild.scope = "row";
      const f = a.figures;
      [f.red, f.yellow, f.green, f.in_care, f.overdue, f.visits, pct(f.on_time_share)].forEach((v) =>
        tr.appendChild(item("td", String(v), "num"))
      );
      body.appendChild(tr);
    });
    const list = document.getElementById("care-groups");
    clear(list);
    d.groups.forEach((g) => {
      const li = item("li", "");
      li.appendChild(item("span", g.name, "care-group-name"));
      li.appendChild(item("span", String(g.residents), "care-group-count"));
      list.appendChild(li);
    });
  }

  // Deliberation (议事): topics per step (a bar each), residents' proposals, participation, decided, results delivered
  // and the turnout of closed votes, per area one level down; counts only.
  function deliberation(d) {
    const panel = document.getElementById("deliberation-panel");
    const shown = (el, v) => (el.dataset.pct ? pct(v) : v === null || v === undefined ? "—" : String(v));
    panel.querySelectorAll("[data-delib]").forEach((el) => {
      el.textContent = shown(el, d.figures[el.dataset.delib]);
    });
    chart("chart-deliberation").setOption(
      Object.assign({}, base, {
        grid: { left: 40, right: 16, top: 12, bottom: 56 },
        xAxis: Object.assign({ type: "category", data: d.steps.map((s) => s.label), axisLabel: { color: theme.text, interval: 0, rotate: 20 } }, axis),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, axis),
        series: [{ name: panel.dataset.tTopics, type: "bar", barMaxWidth: 32, data: d.steps.map((s) => d.figures.by_step[s.step] || 0) }],
      })
    );
    const body = document.getElementById("deliberation-rows");
    clear(body);
    const areas = d.areas.length ? d.areas : [{ name: panel.dataset.tArea, figures: d.figures }];
    areas.forEach((a) => {
      const tr = item("tr", "");
      tr.appendChild(item("th", a.name));
      tr.lastChild.scope = "row";
      const f = a.figures;
      [f.topics, f.by_residents, f.participation, pct(f.decided_share), pct(f.results_delivered), pct(f.turnout)].forEach((v) =>
        tr.appendChild(item("td", String(v), "num"))
      );
      body.appendChild(tr);
    });
  }

  // The people of the grid: the stewards' ranking of the latest month assessed (top and bottom, their public card
  // name), volunteer hours this year, leaders' contact-point progress.
  function people(d) {
    const panel = document.getElementById("people-panel");
    const values = {
      assessed: d.stewards.assessed,
      ranked: d.stewards.ranked,
      hours: d.hours.hours,
      volunteers: d.hours.volunteers,
      solved: d.contacts.solved + " / " + d.contacts.target,
      share: d.contacts.share,
    };
    panel.querySelectorAll("[data-people]").forEach((el) => {
      const v = values[el.dataset.people];
      el.textContent = el.dataset.pct ? pct(v) : v === null || v === undefined ? "—" : String(v);
    });
    document.getElementById("people-assessed-month").textContent = d.assessed_month || panel.dataset.tNone;
    const fill = (id, rows) => {
      const body = document.getElementById(id);
      clear(body);
      rows.forEach((r) => {
        const tr = item("tr", "");
        tr.appendChild(item("td", String(r.rank), "num"));
        tr.appendChild(item("th", r.name));
        tr.lastChild.scope = "row";
        tr.appendChild(item("td", r.area));
        tr.appendChild(item("td", r.score === null ? "—" : r.score.toFixed(1), "num"));
        tr.appendChild(item("td", String(r.sample), "num"));
        body.appendChild(tr);
      });
    };
    fill("people-top", d.stewards.top);
    fill("people-bottom", d.stewards.bottom);
    const body = document.getElementById("people-contacts");
    clear(body);
    d.contacts.leaders.forEach((l) => {
      const tr = item("tr", "");
      tr.appendChild(item("th", l.name));
      tr.lastChild.scope = "row";
      [l.points, l.target, l.taken_on, l.solved, pct(l.share)].forEach((v) => tr.appendChild(item("td", String(v), "num")));
      body.appendChild(tr);
    });
  }

  const panels = { headline, trend, categories, heat, rankings, hot };
  if (document.getElementById("market-panel")) panels.market = market;
  if (document.getElementById("care-panel")) panels.care = care;
  if (document.getElementById("deliberation-panel")) panels.deliberation = deliberation;
  if (document.getElementById("people-panel")) panels.people = people;
  function load() {
    const jobs = Object.entries(panels).map(([name, draw]) =>
      get(name, name === "rankings" ? "&by=" + encodeURIComponent(t.rankBy || "") : "").then(draw)
    );
    return Promise.allSettled(jobs).then((results) => {
      const failed = results.some((r) => r.status === "rejected");
      document.getElementById("updated").textContent = failed
        ? t.tError
        : t.tUpdated + " " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
      root.dataset.ready = failed ? "error" : "true";
    });
  }
  load();
  window.addEventListener("resize", () => {
    Object.values(charts).forEach((c) => c.resize());
    if (map) map.invalidateSize();
  });
  if (big) window.setInterval(load, Math.max(10, Number(t.refresh) || 60) * 1000);
})();
