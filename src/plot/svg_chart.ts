// A minimal SVG line-chart writer for `caffets plot`: panels with axes, "nice" ticks, grid lines,
// polylines (broken at non-finite values), markers, an optional second y-axis, a legend and titles.
// Text is measured approximately (0.6 em a character), enough to lay out labels without overlap.

export type Marker = 'none' | 'circle' | 'square' | 'triangle' | 'diamond';

export interface Series {
  label: string;
  x: number[];
  y: number[];
  color: string;
  /** SVG stroke-dasharray, e.g. '6 4' */
  dash?: string;
  width?: number;
  marker?: Marker;
  /** 'right': drawn against the panel's second y-axis */
  axis?: 'left' | 'right';
}

export interface Panel {
  x: number;
  y: number;
  w: number;
  h: number;
  title?: string;
  xLabel?: string;
  yLabel: string;
  y2Label?: string;
  series: Series[];
  xRange?: [number, number];
  /** fixed ranges; default: the data's, widened to nice numbers */
  yRange?: [number, number];
  y2Range?: [number, number];
}

export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => String(Math.round(v * 100) / 100);
export const textWidth = (s: string, size: number) => s.length * size * 0.6;

/** Collects SVG elements; toString() gives the document. */
export class Svg {
  private readonly parts: string[] = [];
  private clipId = 0;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  add(el: string): void {
    this.parts.push(el);
  }

  text(
    x: number,
    y: number,
    s: string,
    o: { size?: number; anchor?: 'start' | 'middle' | 'end'; rotate?: boolean; bold?: boolean; color?: string } = {},
  ): void {
    const rot = o.rotate ? ` transform="rotate(-90 ${num(x)} ${num(y)})"` : '';
    this.add(
      `<text x="${num(x)}" y="${num(y)}" font-size="${o.size ?? 12}" text-anchor="${o.anchor ?? 'start'}"` +
        `${o.bold ? ' font-weight="bold"' : ''} fill="${o.color ?? '#222'}"${rot}>${esc(s)}</text>`,
    );
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, dash?: string): void {
    this.add(
      `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}"` +
        ` stroke="${stroke}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
  }

  marker(kind: Marker, x: number, y: number, color: string, r = 3.5): void {
    const p = (pts: number[][]) => pts.map(([a, b]) => `${num(x + a)},${num(y + b)}`).join(' ');
    if (kind === 'circle') this.add(`<circle cx="${num(x)}" cy="${num(y)}" r="${r}" fill="${color}"/>`);
    else if (kind === 'square')
      this.add(`<rect x="${num(x - r)}" y="${num(y - r)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`);
    else if (kind === 'triangle')
      this.add(
        `<polygon points="${p([
          [0, -r * 1.2],
          [r * 1.1, r * 0.8],
          [-r * 1.1, r * 0.8],
        ])}" fill="${color}"/>`,
      );
    else if (kind === 'diamond')
      this.add(
        `<polygon points="${p([
          [0, -r * 1.3],
          [r * 1.1, 0],
          [0, r * 1.3],
          [-r * 1.1, 0],
        ])}" fill="${color}"/>`,
      );
  }

  /** A new clip rectangle; returns its id. */
  clip(x: number, y: number, w: number, h: number): string {
    const id = `clip${this.clipId++}`;
    this.add(
      `<clipPath id="${id}"><rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}"/></clipPath>`,
    );
    return id;
  }

  toString(): string {
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}"` +
      ` viewBox="0 0 ${this.width} ${this.height}" font-family="${FONT}">\n` +
      `<rect width="100%" height="100%" fill="white"/>\n${this.parts.join('\n')}\n</svg>\n`
    );
  }
}

export interface Ticks {
  lo: number;
  hi: number;
  step: number;
  values: number[];
}

/** Nice numbers: a range covering [min, max] with about `target` ticks at 1/2/5 x 10^k. */
export function niceTicks(min: number, max: number, target = 6): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.05;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target - 1);
  const e = Math.floor(Math.log10(raw));
  const f = raw / 10 ** e;
  const n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  // k * step without accumulated error: k*n is an integer, 10^|e| exact, one rounding
  const at = (k: number) => (e >= 0 ? k * n * 10 ** e : (k * n) / 10 ** -e);
  const step = at(1);
  const k0 = Math.floor(min / step + 1e-9);
  const k1 = Math.ceil(max / step - 1e-9);
  const values: number[] = [];
  for (let k = k0; k <= k1; k++) values.push(at(k) + 0); // + 0: no -0
  const lo = values[0];
  const hi = values[values.length - 1];
  return { lo, hi, step, values };
}

/** A tick label: as many decimals as the step needs, exponent form for tiny or huge values. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const mag = Math.max(Math.abs(v), step);
  if (mag < 1e-3 || mag >= 1e6) {
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(v)) + 1e-9) - Math.floor(Math.log10(step) + 1e-9));
    return v
      .toExponential(Math.min(digits, 6))
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  }
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toFixed(Math.min(decimals, 10));
}

function finiteRange(series: Series[], pick: (s: Series) => number[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const v of pick(s))
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
  return lo <= hi ? [lo, hi] : undefined;
}

/** Long runs of points in one pixel column become their first, lowest, highest and last point
 *  (the drawn line looks the same; the file stays small for 100k-iteration logs). */
function decimate(pts: number[][]): number[][] {
  if (pts.length < 2000) return pts;
  const out: number[][] = [];
  for (let i = 0; i < pts.length;) {
    let j = i;
    const col = Math.round(pts[i][0]);
    let lo = i;
    let hi = i;
    while (j < pts.length && Math.round(pts[j][0]) === col) {
      if (pts[j][1] < pts[lo][1]) lo = j;
      if (pts[j][1] > pts[hi][1]) hi = j;
      j++;
    }
    for (const k of [...new Set([i, Math.min(lo, hi), Math.max(lo, hi), j - 1])]) out.push(pts[k]);
    i = j;
  }
  return out;
}

/** Draws one panel: frame, grid, ticks, labels, then the series clipped to the plot area. */
export function drawPanel(svg: Svg, p: Panel): void {
  const left = p.series.filter((s) => s.axis !== 'right');
  const right = p.series.filter((s) => s.axis === 'right');
  const xr = p.xRange ?? finiteRange(p.series, (s) => s.x) ?? [0, 1];
  const xt = niceTicks(xr[0], xr[1], Math.max(3, Math.round(p.w / 80)));
  const yt = niceTicks(...(p.yRange ?? finiteRange(left, (s) => s.y) ?? [0, 1]), Math.max(3, Math.round(p.h / 55)));
  const y2t =
    right.length || p.y2Label
      ? niceTicks(...(p.y2Range ?? finiteRange(right, (s) => s.y) ?? [0, 1]), Math.max(3, Math.round(p.h / 55)))
      : undefined;
  const [x0, x1] = p.xRange ? p.xRange : [xt.lo, xt.hi];
  const sx = (v: number) => p.x + ((v - x0) / (x1 - x0 || 1)) * p.w;
  const sy = (t: Ticks) => (v: number) => p.y + p.h - ((v - t.lo) / (t.hi - t.lo || 1)) * p.h;
  const syl = sy(yt);
  for (const v of xt.values) {
    if (v < x0 - 1e-9 * Math.abs(x1 - x0) || v > x1 + 1e-9 * Math.abs(x1 - x0)) continue;
    svg.line(sx(v), p.y, sx(v), p.y + p.h, '#e4e4e4');
    svg.line(sx(v), p.y + p.h, sx(v), p.y + p.h + 5, '#444');
    svg.text(sx(v), p.y + p.h + 18, formatTick(v, xt.step), { anchor: 'middle', size: 11 });
  }
  let yw = 0;
  for (const v of yt.values) {
    const label = formatTick(v, yt.step);
    yw = Math.max(yw, textWidth(label, 11));
    svg.line(p.x, syl(v), p.x + p.w, syl(v), '#e4e4e4');
    svg.line(p.x - 5, syl(v), p.x, syl(v), '#444');
    svg.text(p.x - 8, syl(v) + 4, label, { anchor: 'end', size: 11 });
  }
  svg.text(p.x - yw - 20, p.y + p.h / 2, p.yLabel, { anchor: 'middle', rotate: true, size: 13 });
  if (y2t) {
    const sy2 = sy(y2t);
    let w2 = 0;
    for (const v of y2t.values) {
      const label = formatTick(v, y2t.step);
      w2 = Math.max(w2, textWidth(label, 11));
      svg.line(p.x + p.w, sy2(v), p.x + p.w + 5, sy2(v), '#444');
      svg.text(p.x + p.w + 8, sy2(v) + 4, label, { size: 11 });
    }
    if (p.y2Label)
      svg.text(p.x + p.w + w2 + 26, p.y + p.h / 2, p.y2Label, { anchor: 'middle', rotate: true, size: 13 });
  }
  svg.add(`<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" fill="none" stroke="#444"/>`);
  if (p.xLabel) svg.text(p.x + p.w / 2, p.y + p.h + 38, p.xLabel, { anchor: 'middle', size: 13 });
  if (p.title) svg.text(p.x + p.w / 2, p.y - 10, p.title, { anchor: 'middle', size: 14, bold: true });
  const clip = svg.clip(p.x - 4, p.y - 4, p.w + 8, p.h + 8);
  svg.add(`<g clip-path="url(#${clip})">`);
  for (const s of p.series) {
    const fy = s.axis === 'right' && y2t ? sy(y2t) : syl;
    let run: number[][] = [];
    const flush = () => {
      if (run.length > 1) {
        svg.add(
          `<polyline points="${decimate(run)
            .map(([a, b]) => `${num(a)},${num(b)}`)
            .join(' ')}" fill="none"` +
            ` stroke="${s.color}" stroke-width="${s.width ?? 1.8}" stroke-linejoin="round"` +
            `${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
        );
      }
      run = [];
    };
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) run.push([sx(s.x[i]), fy(s.y[i])]);
      else flush();
    }
    flush();
    const lone = s.x.length === 1;
    const mk: Marker = s.marker && s.marker !== 'none' ? s.marker : lone ? 'circle' : 'none';
    if (mk !== 'none') {
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) svg.marker(mk, sx(s.x[i]), fy(s.y[i]), s.color);
      }
    }
  }
  svg.add('</g>');
}

/** The width a legend of `labels` takes. */
export const legendWidth = (labels: string[], size = 12) => Math.max(0, ...labels.map((l) => textWidth(l, size))) + 54;

/** A framed legend with its top-left corner at (x, y): a line sample (with marker) per series. */
export function drawLegend(svg: Svg, x: number, y: number, entries: Series[], heading?: string, size = 12): number {
  const rowH = size + 9;
  const w = legendWidth(entries.map((e) => e.label).concat(heading ? [heading] : []), size);
  const h = entries.length * rowH + (heading ? rowH : 0) + 10;
  svg.add(
    `<rect x="${x}" y="${y}" width="${num(w)}" height="${h}" fill="white" fill-opacity="0.9" stroke="#bbb" rx="3"/>`,
  );
  let cy = y + 6 + rowH / 2;
  if (heading) {
    svg.text(x + 8, cy + size * 0.35, heading, { size, bold: true });
    cy += rowH;
  }
  for (const e of entries) {
    svg.line(x + 8, cy, x + 38, cy, e.color, e.width ?? 1.8, e.dash);
    if (e.marker && e.marker !== 'none') svg.marker(e.marker, x + 23, cy, e.color);
    svg.text(x + 46, cy + size * 0.35, e.label, { size });
    cy += rowH;
  }
  return h;
}
