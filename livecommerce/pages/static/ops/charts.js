// Live time-series charts over uPlot (vendored, a global `uPlot` from vendor/uPlot.iife.min.js).
// A LiveChart keeps the last `keep` points of named series; a series appearing or vanishing (a new
// sale, a room going live) rebuilds the plot, everything else is a cheap setData.

const PALETTE = ["#e4393c", "#2f7bd9", "#1aa260", "#f0a020", "#8e44ad", "#16a2b8", "#d35400", "#7f8c8d",
  "#c0392b", "#27ae60"];

export class LiveChart {
  constructor(el, { title, unit = "", keep = 120, height = 180, fixedKeys = null }) {
    this.el = el;
    this.title = title;
    this.unit = unit;
    this.keep = keep;
    this.height = height;
    this.fixedKeys = fixedKeys; // series shown even before they have data (buy outcomes)
    this.times = [];
    this.values = new Map(); // key -> array aligned with times (null where absent)
    this.labels = new Map(); // key -> display label
    this.plot = null;
    this.shape = "";
    el.dataset.points = "0";
  }

  setTitle(title) {
    this.title = title;
    this.shape = ""; // rebuild with the new title
    this.render();
  }

  push(t, sample, labels = {}) {
    this.times.push(t);
    const keys = new Set([...(this.fixedKeys || []), ...Object.keys(sample)]);
    for (const k of keys) {
      if (!this.values.has(k)) this.values.set(k, new Array(this.times.length - 1).fill(null));
      if (labels[k]) this.labels.set(k, labels[k]);
    }
    for (const [k, arr] of this.values) arr.push(k in sample ? sample[k] : null);
    if (this.times.length > this.keep) {
      this.times.shift();
      for (const arr of this.values.values()) arr.shift();
    }
    for (const [k, arr] of this.values) { // forget series with no data left in the window
      if (!(this.fixedKeys || []).includes(k) && arr.every((v) => v === null)) this.values.delete(k);
    }
    this.el.dataset.points = String(this.times.length);
    this.el.dataset.series = String(this.values.size);
    let max = 0;
    for (const arr of this.values.values()) for (const v of arr) if (v !== null && v > max) max = v;
    this.el.dataset.max = String(max);
    this.render();
  }

  render() {
    const keys = [...this.values.keys()];
    const shape = keys.join("|");
    const data = [this.times, ...keys.map((k) => this.values.get(k))];
    const width = Math.max(240, this.el.clientWidth || 300);
    if (this.plot && shape === this.shape) {
      this.plot.setData(data);
      if (Math.abs(this.plot.width - width) > 4) this.plot.setSize({ width, height: this.height });
      return;
    }
    if (this.plot) this.plot.destroy();
    this.shape = shape;
    const unit = this.unit;
    this.plot = new uPlot({
      title: this.title,
      width,
      height: this.height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{}, { size: 56, values: (u, ticks) => ticks.map((v) => fmt(v) + unit) }],
      series: [{}, ...keys.map((k, i) => ({
        label: this.labels.get(k) || k,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        spanGaps: false,
        points: { show: false },
      }))],
    }, data, this.el);
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: Math.max(240, this.el.clientWidth || 300), height: this.height });
  }
}

export function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + "k";
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
