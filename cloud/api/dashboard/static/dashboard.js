/* Footfall dashboard: fills the page's panels from the JSON API (same origin, the session cookie). Each panel names
   its call (data-api) and how to show it (data-view). Figures are shown as the API returns them: "<5" stays "<5"
   (a chart leaves such a point out), nothing is recomputed from suppressed cells. No inline script: the CSP allows
   'self' only. */
(function () {
  "use strict";

  var SUPPRESSED = "<5";
  var COLOURS = ["#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2"];
  var REFRESH_S = 30;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.ok) return r.json();
      if (r.status === 401) { // the session ended (expired, revoked): sign in again and come back here
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      }
      return r.json().catch(function () { return {}; }).then(function (body) {
        throw new Error(r.status + ": " + (body.error || r.statusText));
      });
    });
  }

  // --- formatting (display only) ---------------------------------------------------------------------------------

  function when(iso) {
    // "2026-10-08T10:00:00+02:00" -> "2026-10-08 10:00" (the API gives the site's local time already)
    if (typeof iso !== "string" || iso.length < 16) return iso;
    return iso.slice(11, 16) === "00:00" ? iso.slice(0, 10) : iso.slice(0, 10) + " " + iso.slice(11, 16);
  }

  function show(key, v) {
    if (v === null || v === undefined || v === "") return key === "ended" ? "ongoing" : "–";
    if (v === SUPPRESSED) return v;
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "object") {
      return Object.keys(v).map(function (k) {
        var x = v[k];
        return k + " " + (typeof x === "string" && x.length > 12 ? x.slice(0, 8) : x);
      }).join(" · ") || "–";
    }
    if (key === "start" || key === "started" || key === "ended" || key === "last_seen") return when(v);
    if ((key === "conversion" || key === "attention_rate" || /_share$/.test(key)) && typeof v === "number") return (v * 100).toFixed(1) + " %";
    if (key === "hour" && typeof v === "number") return (v < 10 ? "0" : "") + v + ":00";
    if (typeof v === "number") return v.toLocaleString("en-GB");
    return String(v);
  }

  function cols(spec) {
    return (spec || "").split(",").filter(Boolean).map(function (c) {
      var i = c.indexOf(":");
      return { key: c.slice(0, i), label: c.slice(i + 1) };
    });
  }

  function table(container, rows, columns) {
    container.textContent = "";
    if (!rows.length) {
      container.appendChild(el("p", "empty", "No data in this range."));
      return;
    }
    var present = columns.filter(function (c) {
      return rows.some(function (r) { return c.key in r; });
    });
    var numeric = {}; // a column of figures is right-aligned throughout ("<5" and "–" included)
    present.forEach(function (c) {
      numeric[c.key] = c.key !== "hour" && rows.some(function (r) { return typeof r[c.key] === "number" || r[c.key] === SUPPRESSED; });
    });
    var label = rows[0].start ? startLabel(rows) : when;
    var t = el("table"), head = el("tr"), body = el("tbody");
    present.forEach(function (c) { head.appendChild(el("th", numeric[c.key] ? "num" : null, c.label)); });
    t.appendChild(el("thead")).appendChild(head);
    rows.forEach(function (r) {
      var tr = el("tr");
      present.forEach(function (c) {
        var v = r[c.key], text = c.key === "start" && typeof v === "string" ? label(v) : show(c.key, v);
        var td = el("td", numeric[c.key] ? "num" : null, text);
        if (v === SUPPRESSED) {
          td.className = "num k";
          td.title = "fewer than 5 visitors: hidden for their privacy";
        }
        if (c.key === "status" || c.key === "camera") td.classList.add("state-" + String(v));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    t.appendChild(body);
    container.appendChild(t);
  }

  function fail(container, err) {
    container.textContent = "";
    container.appendChild(el("p", "error", "Could not load: " + err.message));
  }

  // --- charts ----------------------------------------------------------------------------------------------------

  function plotted(v) {
    return typeof v === "number" ? v : null; // "<5" and null are left out, not guessed
  }

  function chart(canvas, type, labels, series) {
    if (!canvas || !window.Chart) return null;
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    return new window.Chart(canvas, {
      type: type,
      data: {
        labels: labels,
        datasets: series.map(function (s, i) {
          var c = s.colour || COLOURS[i % COLOURS.length];
          return { label: s.label, data: s.data, backgroundColor: c, borderColor: c, borderDash: s.dash || [],
                   borderWidth: 2, pointRadius: labels.length > 48 ? 0 : 2, spanGaps: false, tension: 0.2 };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } }, y: { beginAtZero: true } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
      }
    });
  }

  function ySeries(spec, rows) {
    return cols(spec).map(function (c) {
      return { label: c.label, data: rows.map(function (r) { return plotted(r[c.key]); }) };
    });
  }

  function startLabel(rows) {
    // one day: "10:00"; whole days: "2026-10-08"; else "2026-10-08 10:00"
    var oneDay = rows.length > 1 && rows.every(function (r) { return r.start.slice(0, 10) === rows[0].start.slice(0, 10); });
    var days = rows.every(function (r) { return r.start.slice(11, 16) === "00:00"; });
    return function (iso) {
      return oneDay ? iso.slice(11, 16) : days ? iso.slice(0, 10) : iso.slice(0, 10) + " " + iso.slice(11, 16);
    };
  }

  function xLabels(rows) {
    if (!rows.length || !("start" in rows[0])) return rows.map(function (r) { return show("hour", r.hour); });
    var label = startLabel(rows);
    return rows.map(function (r) { var l = label(r.start); return l.length > 10 ? l.slice(5) : l; }); // no year on an axis
  }

  // --- panel views ---------------------------------------------------------------------------------------------

  function rowsOf(data) {
    var keys = ["rows", "by_hour", "links", "devices", "alerts", "gaps"];
    for (var i = 0; i < keys.length; i++) if (data[keys[i]]) return data[keys[i]];
    return [];
  }

  function series(panel, data) {
    var rows = rowsOf(data);
    table(panel.querySelector(".table"), rows, cols(panel.dataset.cols));
    var box = panel.querySelector(".chart"), sets = ySeries(panel.dataset.y || "", rows);
    var any = sets.some(function (s) { return s.data.some(function (v) { return v !== null; }); });
    if (box) box.hidden = !any; // nothing to draw (no data, or every point "<5"): the table says so
    if (panel.dataset.chart && any) {
      var type = rows.length > 72 ? "line" : panel.dataset.chart; // a month of hours: bars would be hairlines
      chart(panel.querySelector("canvas"), type, xLabels(rows), sets);
    }
  }

  function note(panel, text) {
    var p = panel.querySelector(".note") || panel.insertBefore(el("p", "note"), panel.querySelector(".table"));
    p.textContent = text;
  }

  var VIEWS = {
    series: series,
    table: series,
    links: function (panel, data) {
      var rows = data.links.slice().sort(function (a, b) {
        return (plotted(b.moves) || 0) - (plotted(a.moves) || 0);
      });
      table(panel.querySelector(".table"), rows, cols(panel.dataset.cols));
    },
    alerts: function (panel, data) {
      series(panel, data);
      panel.querySelectorAll("tbody tr").forEach(function (tr, i) {
        if (data.alerts[i].ended === null) tr.classList.add("ongoing");
      });
    },
    visitors: function (panel, data) {
      series(panel, data);
      note(panel, data.note);
    },
    conversion: function (panel, data) {
      series(panel, data);
      note(panel, "Conversion = transactions / visitors; visitors here are " + data.basis + ".");
    },
    heatmap: function (panel, data) {
      var box = panel.querySelector(".table");
      box.textContent = "";
      if (!data.places.length) {
        box.appendChild(el("p", "empty", "No moves in this range."));
        return;
      }
      var max = 0;
      data.matrix.forEach(function (row) { row.forEach(function (v) { if (typeof v === "number" && v > max) max = v; }); });
      var t = el("table", "heatmap"), head = el("tr");
      head.appendChild(el("th", "corner", "from \\ to"));
      data.places.forEach(function (p) { head.appendChild(el("th", null, p)); });
      t.appendChild(el("thead")).appendChild(head);
      var body = t.appendChild(el("tbody"));
      data.matrix.forEach(function (row, i) {
        var tr = body.appendChild(el("tr"));
        tr.appendChild(el("th", null, data.places[i]));
        row.forEach(function (v) {
          var td = tr.appendChild(el("td", "num", show("moves", v)));
          if (v === SUPPRESSED) {
            td.className = "num k";
            td.title = "fewer than 5 moves: hidden for the visitors' privacy";
          } else if (typeof v === "number" && v > 0) {
            var a = 0.12 + 0.78 * v / max;
            td.style.backgroundColor = "rgba(37, 99, 235, " + a.toFixed(2) + ")";
            if (a > 0.5) td.classList.add("dark");
          }
        });
      });
      box.appendChild(t);
    },
    displays: function (panel, data) {
      var rows = [];
      data.displays.forEach(function (d) {
        d.rows.forEach(function (r) { rows.push(Object.assign({ display: d.device + " / " + d.display }, r)); });
      });
      table(panel.querySelector(".table"), rows, cols(panel.dataset.cols));
      if (!data.displays.length) return;
      var first = data.displays[0].rows, sets = [];
      data.displays.forEach(function (d, i) {
        sets.push({ label: d.display + " passers", data: d.rows.map(function (r) { return plotted(r.passers); }),
                    colour: COLOURS[(2 * i) % COLOURS.length] });
        sets.push({ label: d.display + " viewers", data: d.rows.map(function (r) { return plotted(r.viewers); }),
                    colour: COLOURS[(2 * i + 1) % COLOURS.length] });
      });
      chart(panel.querySelector("canvas"), "bar", xLabels(first), sets);
    },
    floor: function (panel, answers) {
      // three maps over the plan: before, after (the picked range) and the change in person-seconds; a "<5" cell is
      // hatched on its map and left out of the change (nothing is derived from a hidden figure)
      var after = answers.api, before = answers.before, d = panel.dataset;
      var ncols = after.grid[0], nrows = after.grid[1];
      function byCell(a) { var m = {}; a.cells.forEach(function (c) { m[c.cell] = c; }); return m; }
      var A = byCell(after), B = byCell(before), covered = {};
      after.covered.forEach(function (i) { covered[i] = true; });
      function map(title, fill) {
        var fig = el("figure"), box = el("div", "floormap");
        fig.appendChild(el("figcaption", null, title));
        box.style.aspectRatio = after.size_m[0] + " / " + after.size_m[1];
        if (d.plan) { var img = el("img"); img.src = d.plan; img.alt = "store plan"; box.appendChild(img); }
        for (var i = 0; i < ncols * nrows; i++) {
          var c = el("div", "cell");
          c.style.left = (100 * (i % ncols) / ncols) + "%";
          c.style.top = (100 * Math.floor(i / ncols) / nrows) + "%";
          c.style.width = (100 / ncols) + "%";
          c.style.height = (100 / nrows) + "%";
          c.dataset.cell = i;
          if (!covered[i]) c.classList.add("off");
          else fill(c, i);
          box.appendChild(c);
        }
        fig.appendChild(box);
        return fig;
      }
      function heat(cells, max) {
        return function (c, i) {
          var v = cells[i];
          if (!v) return;
          if (v.person_s === SUPPRESSED) {
            c.classList.add("k");
            c.title = "fewer than 5 people: hidden for their privacy";
            return;
          }
          c.style.backgroundColor = "rgba(220, 38, 38, " + (0.1 + 0.75 * v.person_s / (max || 1)).toFixed(2) + ")";
          c.title = show("person_s", v.person_s) + " person-s · " + show("tracks", v.tracks) + " people";
        };
      }
      var max = Math.max(after.max_person_s, before.max_person_s), diffs = {}, dmax = 0;
      after.covered.forEach(function (i) {
        var a = A[i] ? A[i].person_s : 0, b = B[i] ? B[i].person_s : 0;
        if (typeof a === "number" && typeof b === "number" && (a || b)) {
          diffs[i] = a - b;
          dmax = Math.max(dmax, Math.abs(a - b));
        }
      });
      var maps = panel.querySelector(".maps");
      maps.textContent = "";
      maps.appendChild(map("Before: " + d.beforeLabel, heat(B, max)));
      maps.appendChild(map("After: " + d.afterLabel, heat(A, max)));
      maps.appendChild(map("Change (red more, blue less)", function (c, i) {
        if (!(i in diffs) || !dmax) return;
        var v = diffs[i], a = (0.1 + 0.75 * Math.abs(v) / dmax).toFixed(2);
        c.style.backgroundColor = v >= 0 ? "rgba(220, 38, 38, " + a + ")" : "rgba(37, 99, 235, " + a + ")";
        c.title = (v > 0 ? "+" : "") + Math.round(v) + " person-s";
      }));
      var top = after.cells.filter(function (c) { return typeof c.person_s === "number"; })
        .sort(function (x, y) { return y.person_s - x.person_s; }).slice(0, 5);
      table(panel.querySelector(".table"), top, cols("cell:Cell,col:Column,row:Row,person_s:Person-seconds,tracks:People"));
    },
    audience: function (panel, data) {
      // opt-in audience mix: one row per interval, a column per age band and gender ("<5" stays "<5")
      var bands = ["<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown"];
      var rows = data.rows.map(function (r) {
        var row = { start: r.start, people: r.people };
        bands.forEach(function (b) { row["age " + b] = r.age[b]; });
        ["female", "male", "unknown"].forEach(function (g) { row[g] = r.gender[g]; });
        return row;
      });
      var spec = "start:Hour,people:People," + bands.map(function (b) { return "age " + b + ":" + b; }).join(",") +
        ",female:Female,male:Male,unknown:Gender unknown";
      table(panel.querySelector(".table"), rows, cols(spec));
      var merged = (data.total.age_merged || []).map(function (g) { return g.band + ": " + show("n", g.n); }).join(" · ");
      note(panel, "Estimated from faces (see the accuracy notes); bands of fewer than 5 people show \"<5\". " +
        "Whole range, neighbouring bands merged to 5 or more: " + (merged || "no one"));
      var sets = bands.slice(0, 7).map(function (b, i) {
        return { label: b, data: rows.map(function (r) { return plotted(r["age " + b]); }), colour: COLOURS[i % COLOURS.length] };
      }).filter(function (s) { return s.data.some(function (v) { return v > 0; }); }); // bands with someone in them
      // nobody in any band (the feature is off, or the store was empty): the table says so, no empty chart
      var any = sets.length > 0;
      var box = panel.querySelector(".chart");
      if (box) box.hidden = !any;
      if (any) chart(panel.querySelector("canvas"), "bar", xLabels(rows), sets);
    },
    reactions: function (panel, data) {
      var rows = [];
      data.displays.forEach(function (d) {
        d.rows.forEach(function (r) { rows.push(Object.assign({ display: d.device + " / " + d.display }, r)); });
      });
      table(panel.querySelector(".table"), rows, cols(panel.dataset.cols));
      var box = panel.querySelector(".chart");
      if (!data.displays.length) { if (box) box.hidden = true; return; }
      var sets = [], labels = [];
      ["delighted", "neutral", "disinterested"].forEach(function (x, i) {
        sets.push({ label: x, colour: COLOURS[i % COLOURS.length],
                    data: data.displays.map(function (d) { return plotted(d.total[x + "_share"]); }) });
      });
      data.displays.forEach(function (d) { labels.push(d.device + " / " + d.display); });
      sets = sets.filter(function (s) { return s.data.some(function (v) { return v > 0; }); });
      var any = sets.length > 0;
      if (box) box.hidden = !any;
      if (any) chart(panel.querySelector("canvas"), "bar", labels, sets);
    },
    compare: function (panel, answers) {
      var day = answers.api, prev = answers.prev, week = answers.week, b = document.body.dataset;
      var hours = day.rows.map(function (r) { return r.start.slice(11, 16); });
      chart(panel.querySelector("canvas"), "line", hours, [
        { label: b.day + " in", data: day.rows.map(function (r) { return r["in"]; }), colour: COLOURS[0] },
        { label: b.prevDay + " in", data: prev.rows.map(function (r) { return r["in"]; }), colour: "#94a3b8" },
        { label: b.weekAgo + " in", data: week.rows.map(function (r) { return r["in"]; }), colour: "#64748b", dash: [6, 4] }
      ]);
      function onDay(answer, key, date) {
        var row = (answer.rows || []).filter(function (r) { return r.start.slice(0, 10) === date; })[0];
        return row ? row[key] : null;
      }
      function change(now, then) {
        if (typeof now !== "number" || typeof then !== "number" || then === 0) return "–";
        var pct = Math.round(100 * (now - then) / then);
        return (pct > 0 ? "+" : "") + pct + " %";
      }
      var lines = [
        ["In", day.total["in"], prev.total["in"], week.total["in"]],
        ["Out", day.total.out, prev.total.out, week.total.out],
        ["Visitors", onDay(answers.visitors, "unique", b.day), onDay(answers.visitors, "unique", b.prevDay),
         onDay(answers.visitors, "unique", b.weekAgo)],
        ["Mean dwell (s)", onDay(answers.dwell, "dwell_mean_s", b.day), onDay(answers.dwell, "dwell_mean_s", b.prevDay),
         onDay(answers.dwell, "dwell_mean_s", b.weekAgo)],
        ["Conversion", onDay(answers.conversion, "conversion", b.day), onDay(answers.conversion, "conversion", b.prevDay),
         onDay(answers.conversion, "conversion", b.weekAgo)]
      ];
      var rows = lines.map(function (l) {
        return { figure: l[0], day: l[1], prev: l[2], vs_prev: change(l[1], l[2]), week: l[3], vs_week: change(l[1], l[3]),
                 _kind: l[0] === "Conversion" ? "conversion" : "" };
      });
      var box = panel.querySelector(".table");
      table(box, rows, cols("figure:Figure,day:" + b.day + ",prev:Day before,vs_prev:Change,week:Week earlier,vs_week:Change"));
      box.querySelectorAll("tbody tr").forEach(function (tr, i) {
        if (rows[i]._kind) {
          [1, 2, 4].forEach(function (j) { tr.children[j].textContent = show("conversion", rows[i][["", "day", "prev", "", "week"][j]]); });
        }
      });
    }
  };

  function load(panel) {
    var box = panel.querySelector(".table");
    if (panel.dataset.view === "floor") {
      return Promise.all([getJSON(panel.dataset.api), getJSON(panel.dataset.before)]).then(function (all) {
        VIEWS.floor(panel, { api: all[0], before: all[1] });
        panel.dataset.loaded = "1";
      }).catch(function (e) { fail(box, e); });
    }
    if (panel.dataset.view === "compare") {
      var names = ["api", "prev", "week", "visitors", "dwell", "conversion"];
      return Promise.all(names.map(function (n) { return getJSON(panel.dataset[n]); })).then(function (all) {
        var answers = {};
        names.forEach(function (n, i) { answers[n] = all[i]; });
        VIEWS.compare(panel, answers);
        panel.dataset.loaded = "1";
      }).catch(function (e) { fail(box, e); });
    }
    return getJSON(panel.dataset.api).then(function (data) {
      VIEWS[panel.dataset.view](panel, data);
      panel.dataset.loaded = "1";
    }).catch(function (e) { fail(box, e); });
  }

  // --- live occupancy, refreshed every 30 s ------------------------------------------------------------------------

  function occupancy(tile) {
    return getJSON(tile.dataset.api).then(function (o) {
      tile.querySelector(".value").textContent = show("occupancy", o.occupancy);
      var sub = "in " + show("in", o["in"]) + " · out " + show("out", o.out);
      if ("in_view" in o) sub += " · in view " + show("in_view", o.in_view);
      tile.querySelector(".sub").textContent = sub;
      tile.dataset.asOf = o.as_of;
      var asOf = document.querySelector("#live .as-of");
      if (asOf) asOf.textContent = "as of " + o.as_of.slice(11, 16) + ", since " + when(o.since);
    }).catch(function (e) {
      tile.querySelector(".sub").textContent = "could not load: " + e.message;
    });
  }

  function live() {
    var tiles = document.querySelectorAll("#live .tile[data-api]");
    if (!tiles.length) return Promise.resolve();
    var section = document.getElementById("live");
    var every = 1000 * (Number(section.dataset.refresh) || REFRESH_S);
    function round() {
      return Promise.all(Array.prototype.map.call(tiles, occupancy)).then(function () {
        section.dataset.refreshed = String(Number(section.dataset.refreshed || 0) + 1);
      });
    }
    window.setInterval(function () { if (!document.hidden) round(); }, every);
    return round();
  }

  // --- pickers -----------------------------------------------------------------------------------------------------

  function pickers() {
    var form = document.querySelector("form.pickers");
    if (!form) return;
    var from = form.querySelector("#pick-from"), to = form.querySelector("#pick-to");
    from.addEventListener("change", function () { if (to.value < from.value) to.value = from.value; });
    var store = form.querySelector("#pick-store");
    if (store) store.addEventListener("change", function () { form.submit(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    pickers();
    var panels = document.querySelectorAll(".panel[data-view]");
    var loads = Array.prototype.map.call(panels, load).concat([live()]);
    Promise.all(loads).then(function () {
      document.body.dataset.ready = "1"; // every panel and live tile answered (tests and screenshots wait on it)
    });
  });
})();
