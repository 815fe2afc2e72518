/**
 * The dashboard page's own script (runs in the browser, after Chart.js): it builds the page from
 * the embedded data with DOM calls only (text is never parsed as HTML). Money arrives as exact
 * decimal strings and is rounded to 4 places with BigInt, half away from zero, as the CLI's
 * tables round it; the exact figure stays in each cell's `data-usd`.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var PICO = BigInt("1000000000000");
  var COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac"];

  function pico(usd) {
    var negative = usd.charAt(0) === "-";
    var text = negative ? usd.slice(1) : usd;
    var parts = text.split(".");
    var fraction = ((parts[1] || "") + "000000000000").slice(0, 12);
    var value = BigInt(parts[0]) * PICO + BigInt(fraction);
    return negative ? -value : value;
  }
  function usdFromPico(value) {
    var negative = value < BigInt(0);
    var abs = negative ? -value : value;
    var fraction = (abs % PICO).toString().padStart(12, "0").replace(/0+$/, "");
    while (fraction.length < 2) fraction += "0";
    return (negative ? "-" : "") + (abs / PICO).toString() + "." + fraction;
  }
  function money(usd) {
    var unit = BigInt("100000000");
    var half = unit / BigInt(2);
    var v = pico(usd);
    var zero = BigInt(0);
    var scaled = v >= zero ? (v + half) / unit : -((-v + half) / unit);
    var negative = scaled < zero;
    var digits = (negative ? -scaled : scaled).toString().padStart(5, "0");
    var whole = digits.slice(0, digits.length - 4).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + "$" + whole + "." + digits.slice(digits.length - 4);
  }
  function count(n) {
    return BigInt(n).toLocaleString("en-US");
  }
  function percent(part, whole) {
    if (whole === BigInt(0)) return "0.0%";
    return (Number((part * BigInt(10000)) / whole) / 100).toFixed(1) + "%";
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function moneyCell(usd) { return el("td", { class: "num", "data-usd": usd }, [money(usd)]); }
  function countCell(n) { return el("td", { class: "num", "data-count": String(n) }, [count(n)]); }
  function textCell(t) { return el("td", {}, [t === null || t === undefined ? "" : String(t)]); }
  function table(id, headers, rows) {
    var head = el("tr", {}, headers.map(function (h) {
      return el("th", { class: h.num ? "num" : "" }, [h.label]);
    }));
    var body = rows.map(function (cells) { return el("tr", {}, cells); });
    return el("div", { class: "scroll" }, [
      el("table", { "data-table": id }, [el("thead", {}, [head]), el("tbody", {}, body)]),
    ]);
  }
  function section(title, note, children) {
    var items = [el("h2", {}, [title])];
    if (note) items.push(el("p", { class: "note" }, [note]));
    return el("section", {}, items.concat(children));
  }
  function chartBox(id, height) {
    var canvas = el("canvas", { id: id, "data-chart": id, role: "img" });
    return { box: el("div", { class: "chart", style: "height:" + height + "px" }, [canvas]), canvas: canvas };
  }
  var charts = [];
  function chart(canvas, config) {
    config.options = Object.assign({ animation: false, responsive: true,
      maintainAspectRatio: false }, config.options || {});
    charts.push(new Chart(canvas, config));
  }
  var usdTicks = { callback: function (v) { return "$" + Number(v).toLocaleString("en-US"); } };

  var main = document.getElementById("main");
  var totals = data.by_agent.totals;
  var total = pico(totals.cost_usd);
  var estimated = pico(totals.estimated_cost_usd);
  var filters = data.by_agent.filters;
  var scope = [filters.feature ? "features " + filters.feature : "all features",
    filters.since ? "since " + filters.since : null, filters.until ? "until " + filters.until : null]
    .filter(Boolean).join(", ");
  document.getElementById("subtitle").textContent = data.project + ": " + scope +
    "; generated " + data.generated_at + "; days in " + data.time_zone +
    (data.by_agent.pricing_effective ? "; prices of " + data.by_agent.pricing_effective : "");

  function card(key, label, valueNode, detail) {
    return el("div", { class: "card", "data-headline": key }, [
      el("div", { class: "label" }, [label]), valueNode, el("div", { class: "detail" }, [detail]),
    ]);
  }
  function big(attrs, text) { return el("div", Object.assign({ class: "value" }, attrs), [text]); }
  var saved = data.cache_savings.reduce(function (sum, s) { return sum + pico(s.saved_usd); }, BigInt(0));
  main.appendChild(el("div", { class: "cards" }, [
    card("total", "Spend", big({ "data-usd": totals.cost_usd }, money(totals.cost_usd)),
      count(totals.event_count) + " invocations"),
    card("estimated", "Estimated", big({ "data-usd": totals.estimated_cost_usd }, money(totals.estimated_cost_usd)),
      percent(estimated, total) + " of spend, from tokens and list prices"),
    card("unpriced", "Unpriced", big({ "data-count": String(totals.unpriced_event_count) }, count(totals.unpriced_event_count)),
      percent(BigInt(totals.unpriced_event_count), BigInt(Math.max(1, totals.event_count))) +
      " of invocations counted as $0" + (totals.unpriced_models.length ? ": " + totals.unpriced_models.join(", ") : "")),
    card("cache_saved", "Cache reads saved", big({ "data-usd": usdFromPico(saved) }, money(usdFromPico(saved))),
      "against the uncached input price"),
  ]));

  // Cost over time, stacked.
  var periods = [];
  var stacks = [];
  var cells = {};
  data.over_time.rows.forEach(function (r) {
    var p = r.group[data.period];
    var s = r.group[data.stack];
    if (periods.indexOf(p) < 0) periods.push(p);
    if (stacks.indexOf(s) < 0) stacks.push(s);
    cells[p + "\u0000" + s] = Number(r.cost_usd);
  });
  var overTime = chartBox("over_time", 280);
  main.appendChild(section("Cost by " + data.period + ", by " + data.stack, null, [overTime.box]));
  chart(overTime.canvas, {
    type: "bar",
    data: { labels: periods, datasets: stacks.map(function (s, i) {
      return { label: s, backgroundColor: COLORS[i % COLORS.length],
        data: periods.map(function (p) { return cells[p + "\u0000" + s] || 0; }) };
    }) },
    options: { scales: { x: { stacked: true }, y: { stacked: true, ticks: usdTicks } } },
  });

  // By feature.
  var featureRows = data.by_feature.rows;
  var byFeature = chartBox("by_feature", Math.max(120, 28 * featureRows.length + 40));
  main.appendChild(section("By feature", null, [byFeature.box,
    table("by_feature", [{ label: "feature" }, { label: "invocations", num: true },
      { label: "cost", num: true }, { label: "estimated", num: true }],
      featureRows.map(function (r) {
        return [textCell(r.group.feature), countCell(r.event_count), moneyCell(r.cost_usd),
          moneyCell(r.estimated_cost_usd)];
      })),
  ]));
  chart(byFeature.canvas, {
    type: "bar",
    data: { labels: featureRows.map(function (r) { return r.group.feature; }),
      datasets: [{ label: "cost", backgroundColor: COLORS[0],
        data: featureRows.map(function (r) { return Number(r.cost_usd); }) }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { ticks: usdTicks } } },
  });

  // Work packages: outcomes.
  main.appendChild(section("Work packages",
    "Attempts and rejections from the events and the orchestrator's run state; failed runs are invocations that did not succeed, whatever their attempt; open attempts are those with no verdict in the run state (not orchestrated, not reviewed yet, or abandoned).",
    [table("outcomes", [{ label: "feature" }, { label: "WP" }, { label: "outcome" },
      { label: "attempts", num: true }, { label: "rejections", num: true },
      { label: "invocations", num: true }, { label: "cost", num: true },
      { label: "approved attempt", num: true }, { label: "rejected attempts", num: true },
      { label: "failed runs", num: true }, { label: "open attempts", num: true }],
      data.outcomes.map(function (o) {
        return [textCell(o.feature), textCell(o.wp), textCell(o.outcome || "-"),
          countCell(o.attempts), countCell(o.rejections), countCell(o.invocations),
          moneyCell(o.cost_usd), moneyCell(o.approved_cost_usd), moneyCell(o.rejected_cost_usd),
          moneyCell(o.failed_cost_usd), moneyCell(o.other_cost_usd)];
      }))]));

  // By model, with cache savings.
  var modelRows = data.by_model.rows;
  var savedBy = {};
  data.cache_savings.forEach(function (s) { savedBy[s.model] = s.saved_usd; });
  var byModel = chartBox("by_model", 260);
  main.appendChild(section("By model",
    "An invocation that used several models counts under each. Saved: cache-read tokens at the model's input price minus its cache-read price.",
    [byModel.box, table("by_model", [{ label: "model" }, { label: "invocations", num: true },
      { label: "input", num: true }, { label: "output", num: true }, { label: "cache read", num: true },
      { label: "cache write", num: true }, { label: "cost", num: true }, { label: "estimated", num: true },
      { label: "cache saved", num: true }],
      modelRows.map(function (r) {
        return [textCell(r.group.model), countCell(r.event_count), countCell(r.input_tokens),
          countCell(r.output_tokens), countCell(r.cache_read_tokens), countCell(r.cache_write_tokens),
          moneyCell(r.cost_usd), moneyCell(r.estimated_cost_usd),
          savedBy[r.group.model] ? moneyCell(savedBy[r.group.model]) : textCell("-")];
      }))]));
  chart(byModel.canvas, {
    type: "doughnut",
    data: { labels: modelRows.map(function (r) { return r.group.model; }),
      datasets: [{ backgroundColor: modelRows.map(function (_, i) { return COLORS[i % COLORS.length]; }),
        data: modelRows.map(function (r) { return Number(r.cost_usd); }) }] },
    options: { plugins: { legend: { position: "right" } } },
  });

  // The costliest invocations.
  main.appendChild(section("Most expensive invocations", null, [
    table("top_invocations", [{ label: "when" }, { label: "feature" }, { label: "WP" },
      { label: "agent" }, { label: "role" }, { label: "model" }, { label: "ok" },
      { label: "cost", num: true }],
      data.top_invocations.map(function (t) {
        return [textCell(t.timestamp.slice(0, 16).replace("T", " ")), textCell(t.feature),
          textCell(t.wp), textCell(t.agent), textCell(t.role), textCell(t.model),
          textCell(t.success === false ? "failed" : "yes"),
          moneyCell(t.cost_usd)];
      })),
  ]));

  // Budget burn.
  if (data.budgets.length > 0) {
    var burn = chartBox("budgets", Math.max(100, 30 * data.budgets.length + 40));
    main.appendChild(section("Budgets", "Spent of each budget in .kittify/budgets.yaml, over all events.", [burn.box,
      table("budgets", [{ label: "budget" }, { label: "spent", num: true }, { label: "budget", num: true },
        { label: "remaining", num: true }],
        data.budgets.map(function (b) {
          return [textCell(b.scope === "project" ? "project" : (b.scope === "monthly" ? "month " : "feature ") + b.name),
            moneyCell(b.spent_usd), moneyCell(b.budget_usd), moneyCell(b.remaining_usd)];
        })),
    ]));
    chart(burn.canvas, {
      type: "bar",
      data: { labels: data.budgets.map(function (b) { return b.scope === "project" ? "project" : b.name; }),
        datasets: [{ label: "% of budget spent",
          backgroundColor: data.budgets.map(function (b) { return b.exceeded ? "#e15759" : "#59a14f"; }),
          data: data.budgets.map(function (b) {
            var budget = pico(b.budget_usd);
            return budget === BigInt(0) ? 100 : Number((pico(b.spent_usd) * BigInt(1000)) / budget) / 10;
          }) }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } },
        scales: { x: { min: 0, suggestedMax: 100, ticks: { callback: function (v) { return v + "%"; } } } } },
    });
  }
  document.body.setAttribute("data-ready", "true");
})();
`;
