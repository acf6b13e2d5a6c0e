// Command-centre dashboard: fetches each panel's JSON (same origin), draws ECharts charts and a Leaflet map of the
// grid boundaries coloured by requests. Texts come from data-* attributes (already translated by the template); names
// reach Leaflet as text through GongzhiMap (gongzhi-map.js), never as HTML.
// Big-screen mode refreshes every panel on its own every data-refresh seconds. Sets data-ready="true" on #dashboard
// once every panel has been drawn once (the browser tests wait for it).
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root || !window.echarts) return;
  const t = root.dataset;
  const month = t.month;
  const dark = t.big === "1";
  const textColour = dark ? "#e8eef5" : "#222";
  const charts = {};
  let map = null;
  let layer = null;

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
  const base = { textStyle: { color: textColour, fontFamily: "Noto Sans CJK SC, sans-serif" }, animation: false };
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }
  function item(tag, text) {
    const el = document.createElement(tag);
    el.textContent = text;
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
        legend: { bottom: 0, textStyle: { color: textColour } },
        series: [
          {
            type: "pie",
            radius: ["35%", "65%"],
            label: { color: textColour, formatter: "{b}\n{d}%" },
            data: d.level_721.map((x) => ({ name: x.name, value: x.value })),
          },
        ],
      })
    );
    const s = d.deadlines;
    chart("chart-deadlines").setOption(
      Object.assign({}, base, {
        xAxis: { type: "category", data: [t.tOnTrack, t.tWarning, t.tOverdue, t.tOnHold], axisLabel: { color: textColour } },
        yAxis: { type: "value", axisLabel: { color: textColour } },
        series: [
          {
            type: "bar",
            label: { show: true, position: "top", color: textColour },
            data: [
              { value: s.on_track, itemStyle: { color: "#3c8d5a" } },
              { value: s.warning, itemStyle: { color: "#c0772a" } },
              { value: s.overdue, itemStyle: { color: "#b24a4a" } },
              { value: s.on_hold, itemStyle: { color: "#5a6b7d" } },
            ],
          },
        ],
      })
    );
  }

  function trend(d) {
    chart("chart-trend").setOption(
      Object.assign({}, base, {
        legend: { top: 0, textStyle: { color: textColour } },
        grid: { left: 40, right: 40, top: 30, bottom: 30 },
        xAxis: { type: "category", data: d.days.map((x) => x.slice(5)), axisLabel: { color: textColour } },
        yAxis: [{ type: "value", axisLabel: { color: textColour } }],
        series: [
          { name: t.tReceived, type: "line", smooth: true, data: d.received },
          { name: t.tResolved, type: "line", smooth: true, data: d.resolved },
        ],
      })
    );
  }

  function categories(d) {
    const rows = d.categories.slice().reverse();
    chart("chart-categories").setOption(
      Object.assign({}, base, {
        grid: { left: 110, right: 30, top: 10, bottom: 20 },
        xAxis: { type: "value", axisLabel: { color: textColour } },
        yAxis: { type: "category", data: rows.map((c) => c.name), axisLabel: { color: textColour, width: 100, overflow: "truncate" } },
        series: [{ type: "bar", data: rows.map((c) => c.received), itemStyle: { color: "#2f6f9f" }, label: { show: true, position: "right", color: textColour } }],
      })
    );
  }

  function colour(n, max) {
    if (!n) return "#dfe6ec";
    const k = Math.min(1, n / (max || 1));
    const stops = ["#fde0c5", "#f9b17a", "#f0803c", "#d0501f", "#a8231c"];
    return stops[Math.min(stops.length - 1, Math.floor(k * stops.length))];
  }

  function heat(d) {
    const el = document.getElementById("heat-map");
    if (!window.L || !window.GongzhiMap || !el) return;
    if (!map) map = window.GongzhiMap.create(el);
    if (layer) layer.remove();
    const drawn = d.features.filter((f) => f.geometry);
    if (!drawn.length) {
      el.dataset.ready = "empty";
      return;
    }
    const max = Math.max(...drawn.map((f) => f.properties.received));
    layer = L.geoJSON(
      { type: "FeatureCollection", features: drawn },
      {
        style: (f) => ({ color: "#1d3b53", weight: 1, fillOpacity: 0.75, fillColor: colour(f.properties.received, max) }),
        onEachFeature: (f, l) => {
          const p = f.properties;
          window.GongzhiMap.tooltip(l, [p.name, p.received + " " + t.tCases], { sticky: true });
          if (!p.leaf) l.on("click", () => (window.location.href = t.nodeUrl.replace("/0/", "/" + p.id + "/") + "?month=" + month + (dark ? "&screen=1" : "")));
        },
      }
    ).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    el.dataset.ready = "true";
  }

  function fillRanking(list, small, data) {
    clear(list);
    data.rows.slice(0, 10).forEach((r) => {
      const li = document.createElement("li");
      li.appendChild(item("span", r.name));
      li.appendChild(item("span", (data.by.endsWith("_rate") ? pct(r.value) : String(r.value)) + " · n=" + r.sample));
      list.appendChild(li);
    });
    small.textContent = data.too_small.length ? t.tTooSmall + " " + data.too_small.slice(0, 12).join("、") + (data.too_small.length > 12 ? " …" : "") : "";
  }
  function rankings(d) {
    document.getElementById("rank-note").textContent = d.note;
    fillRanking(document.getElementById("rank-areas"), document.getElementById("rank-areas-small"), d.areas);
    fillRanking(document.getElementById("rank-units"), document.getElementById("rank-units-small"), d.units);
  }

  function hot(d) {
    const list = document.getElementById("hot");
    clear(list);
    document.getElementById("hot-message").textContent = d.available ? (d.issues.length ? "" : t.tNone) : d.message;
    d.issues.forEach((i) => {
      const keywords = Array.isArray(i.keywords) ? i.keywords.join(" ") : i.keywords || "";
      list.appendChild(item("li", (i.label || keywords) + " · " + i.count + " " + t.tCases));
    });
  }

  const panels = { headline, trend, categories, heat, rankings, hot };
  function load() {
    const jobs = Object.entries(panels).map(([name, draw]) => get(name).then(draw));
    return Promise.allSettled(jobs).then((results) => {
      const failed = results.some((r) => r.status === "rejected");
      document.getElementById("updated").textContent = failed ? t.tError : new Date().toLocaleTimeString("zh-CN");
      root.dataset.ready = failed ? "error" : "true";
    });
  }
  load();
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  if (dark) window.setInterval(load, Math.max(10, Number(t.refresh) || 60) * 1000);
})();
