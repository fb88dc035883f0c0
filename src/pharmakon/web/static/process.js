// Live process-monitoring dashboard: T² and SPE charts fed by server-sent events,
// the alarm list, and the contribution bar chart of a clicked alarm. No libraries.
(function () {
  "use strict";
  const KEEP = 2000;

  function drawSeries(canvas, points, limit, key) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, pad = 30;
    ctx.clearRect(0, 0, w, h);
    const vals = points.map((r) => r[key]).filter((v) => v !== null && isFinite(v));
    const top = Math.max(limit * 1.5, ...vals.slice(-KEEP)) || 1;
    const x = (i) => pad + (i / Math.max(points.length - 1, 1)) * (w - pad - 5);
    const y = (v) => h - pad - (Math.min(v, top) / top) * (h - 2 * pad);
    ctx.strokeStyle = "#d9dee8"; ctx.strokeRect(pad, pad, w - pad - 5, h - 2 * pad);
    ctx.fillStyle = "#5b6578"; ctx.font = "11px system-ui";
    ctx.fillText(top.toPrecision(3), 2, pad + 4); ctx.fillText("0", 2, h - pad);
    ctx.strokeStyle = "#b42318"; ctx.setLineDash([5, 4]); ctx.beginPath();
    ctx.moveTo(pad, y(limit)); ctx.lineTo(w - 5, y(limit)); ctx.stroke(); ctx.setLineDash([]);
    ctx.strokeStyle = "#0d6e6e"; ctx.beginPath();
    let started = false;
    points.forEach((r, i) => {
      const v = r[key];
      if (v === null || !isFinite(v)) { started = false; return; }
      if (!started) { ctx.moveTo(x(i), y(v)); started = true; } else { ctx.lineTo(x(i), y(v)); }
    });
    ctx.stroke();
    ctx.fillStyle = "#b42318";
    points.forEach((r, i) => { if (r.alarm && r[key] !== null) ctx.fillRect(x(i) - 1, y(r[key]) - 1, 2, 2); });
  }

  function drawBars(canvas, shares, title) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, pad = 30;
    ctx.clearRect(0, 0, w, h);
    const items = Object.entries(shares).sort((a, b) => b[1] - a[1]).slice(0, 20);
    if (!items.length) return;
    const top = items[0][1] || 1, bw = (w - pad) / items.length;
    ctx.font = "11px system-ui";
    items.forEach(([name, v], i) => {
      const bh = (v / top) * (h - 2 * pad);
      ctx.fillStyle = "#0d6e6e"; ctx.fillRect(pad + i * bw + 2, h - pad - bh, bw - 4, bh);
      ctx.fillStyle = "#1d2433"; ctx.save(); ctx.translate(pad + i * bw + bw / 2, h - pad + 4); ctx.rotate(0.5);
      ctx.fillText(name, 0, 8); ctx.restore();
      ctx.fillText((100 * v).toFixed(0) + "%", pad + i * bw + 4, h - pad - bh - 3);
    });
    document.getElementById("contrib-title").textContent = title;
  }

  function dashboard(initial) {
    const records = initial.records.slice(-KEEP);
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const t2 = document.getElementById("t2"), spe = document.getElementById("spe");
    const status = document.getElementById("status"), count = document.getElementById("count");
    const alarms = document.getElementById("alarms"), contrib = document.getElementById("contrib");
    const redraw = () => {
      drawSeries(t2, records, initial.t2_limit, "t2");
      drawSeries(spe, records, initial.spe_limit, "spe");
      count.textContent = String(records.length);
    };
    const showAlarm = (row) => {
      const seq = Number(row.dataset.seq);
      const rec = bySeq.get(seq);
      const shares = rec && rec.contributions ? rec.contributions : JSON.parse(row.dataset.top || "{}");
      drawBars(contrib, shares, "Contributions at index " + row.cells[0].textContent);
    };
    alarms.addEventListener("click", (ev) => {
      const row = ev.target.closest("tr.alarm");
      if (row) showAlarm(row);
    });
    const addAlarmRow = (r) => {
      const empty = alarms.querySelector("tr.empty"); if (empty) empty.remove();
      const tr = document.createElement("tr");
      tr.className = "alarm"; tr.dataset.seq = r.seq;
      const top = Object.entries(r.contributions || {}).sort((a, b) => b[1] - a[1]).slice(0, 5);
      tr.dataset.top = JSON.stringify(Object.fromEntries(top));
      [r.index, r.t2.toPrecision(4), r.spe.toPrecision(4), top.map((t) => t[0]).join(", ")].forEach((v) => {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      alarms.insertBefore(tr, alarms.firstChild);
    };
    redraw();
    let last = records.length ? records[records.length - 1].seq : 0;
    let wasAlarm = records.length ? records[records.length - 1].alarm : false;
    const source = new EventSource(location.pathname + "/events?after=" + last);
    source.onopen = () => { status.textContent = "live"; };
    source.onerror = () => { status.textContent = "reconnecting…"; };
    source.addEventListener("records", (ev) => {
      const batch = JSON.parse(ev.data);
      batch.forEach((r) => {
        if (r.seq <= last) return;
        if (r.seq < last) { records.length = 0; bySeq.clear(); }  // the monitor was restarted
        last = r.seq; records.push(r); bySeq.set(r.seq, r);
        if (r.alarm && !wasAlarm && r.t2 !== null) addAlarmRow(r);
        wasAlarm = r.alarm;
      });
      while (records.length > KEEP) bySeq.delete(records.shift().seq);
      redraw();
    });
  }

  function predictions(rows) {
    const canvas = document.getElementById("pred");
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 30;
    const ok = rows.filter((r) => r.prediction !== null);
    if (!ok.length) return;
    const lo = Math.min(...ok.map((r) => r.pred_lower)), hi = Math.max(...ok.map((r) => r.pred_upper));
    const x = (i) => pad + (i / Math.max(rows.length - 1, 1)) * (w - pad - 5);
    const y = (v) => h - pad - ((v - lo) / (hi - lo || 1)) * (h - 2 * pad);
    ctx.fillStyle = "#cfe8e8";
    rows.forEach((r, i) => { if (r.prediction !== null) ctx.fillRect(x(i) - 1, y(r.pred_upper), 2, y(r.pred_lower) - y(r.pred_upper)); });
    ctx.fillStyle = "#0d6e6e";
    rows.forEach((r, i) => { if (r.prediction !== null) ctx.fillRect(x(i) - 1, y(r.prediction) - 1, 3, 3); });
    ctx.fillStyle = "#5b6578"; ctx.font = "11px system-ui";
    ctx.fillText(hi.toPrecision(3), 2, pad); ctx.fillText(lo.toPrecision(3), 2, h - pad);
  }

  const init = document.getElementById("initial");
  if (init) dashboard(JSON.parse(init.textContent));
  const pred = document.getElementById("pred-data");
  if (pred) predictions(JSON.parse(pred.textContent));
})();
