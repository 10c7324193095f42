// Charts of Caffe/caffets training logs (`caffets plot`: api/plot_command.ts), drawn as SVG by our
// own writer (svg_chart.ts) and rasterized with sharp for .png. The default chart is a dashboard:
// train loss, test loss and test accuracy (second y-axis) vs. iterations, and the learning rate in a
// small panel below. `chart: N` draws instead plot_training_log.py's chart type N (its numbering,
// 0-7), one line per log. Train loss is the solver's total loss (the `Iteration N, loss = X` lines, as
// parse_log.sh reads it for plot_training_log.py); a net with several train loss outputs (GoogLeNet's
// three heads) also gets one thin curve per output, labelled by its name, on the dashboard of one log.
// Test columns are picked by name ('loss', 'accuracy', else the last column naming loss, resp. acc or
// top-1) where plot_training_log.py takes parse_log.sh's outputs #0 and #1 by position.
import * as path from 'path';
import { CaffeError } from '../util/errors';
import { writeFileAtomic } from '../io/atomic';
import { parseLog, LogRow, ParsedLog } from './parse_log';
import { drawLegend, drawPanel, legendWidth, Marker, niceTicks, PALETTE, Series, Svg } from './svg_chart';

/** plot_training_log.py's chart types, in its order (get_supported_chart_types). */
export const CHART_TYPES = [
  'Test accuracy  vs. Iters',
  'Test accuracy  vs. Seconds',
  'Test loss  vs. Iters',
  'Test loss  vs. Seconds',
  'Train learning rate  vs. Iters',
  'Train learning rate  vs. Seconds',
  'Train loss  vs. Iters',
  'Train loss  vs. Seconds',
];

export interface PlotOptions {
  /** plot_training_log.py chart type 0-7; default: the dashboard */
  chart?: number;
  /** year of the logs' first time stamps (default: each file's ctime year, as parse_log.py) */
  year?: number;
  title?: string;
  width?: number;
  height?: number;
}

export interface PlotLog {
  file: string;
  label: string;
  parsed: ParsedLog;
}

const FIXED = new Set(['NumIters', 'Seconds', 'LearningRate']);
const MARKERS: Marker[] = ['circle', 'square', 'triangle', 'diamond'];

const ACCURACY = /acc|top-?\d/i;
const isAccuracy = (c: string) => /acc|top-?1\b/i.test(c);
const isLoss = (c: string) => /loss/i.test(c) && !ACCURACY.test(c);

/** The output column of `rows` named `exact`, else the last that `pick` accepts (of GoogLeNet's heads
 *  loss1 .. loss3, the last is the net's own output, the others auxiliary). */
function column(rows: LogRow[], exact: string, pick: (c: string) => boolean): string | undefined {
  const cols = new Set<string>();
  for (const r of rows) for (const k of r.keys()) if (!FIXED.has(k)) cols.add(k);
  return cols.has(exact) ? exact : [...cols].filter(pick).pop();
}

type Field = 'Test accuracy' | 'Test loss' | 'Train learning rate' | 'Train loss';

/** x and y of one field of a log; undefined when the log has no such column. */
function fieldData(
  log: ParsedLog,
  field: Field,
  xKey: 'NumIters' | 'Seconds',
): { x: number[]; y: number[] } | undefined {
  if (field === 'Train loss' && log.loss.length) return xy(log.loss, 'loss', xKey);
  const rows = field.startsWith('Test') ? log.test : log.train;
  const col =
    field === 'Test accuracy'
      ? column(rows, 'accuracy', isAccuracy)
      : field === 'Train learning rate'
        ? rows.length
          ? 'LearningRate'
          : undefined
        : (column(rows, 'loss', isLoss) ?? (field === 'Train loss' ? column(rows, '', () => true) : undefined));
  return col ? xy(rows, col, xKey) : undefined;
}

const xy = (rows: LogRow[], col: string, xKey: 'NumIters' | 'Seconds') => ({
  x: rows.map((r) => r.get(xKey) ?? NaN),
  y: rows.map((r) => r.get(col) ?? NaN),
});

/** The train net's loss outputs (columns naming loss), when there are several: each its own curve. */
function trainOutputs(log: ParsedLog): { name: string; x: number[]; y: number[] }[] {
  const cols = new Set<string>();
  for (const r of log.train) for (const k of r.keys()) if (!FIXED.has(k) && isLoss(k)) cols.add(k);
  return cols.size < 2 ? [] : [...cols].map((c) => ({ name: c, ...xy(log.train, c, 'NumIters') }));
}

/** plot_training_log.py's label (the file name less `.log`), with the folder when names clash. */
function labels(files: string[]): string[] {
  const base = (f: string) => path.basename(f).replace(/\.log$/, '');
  const short = files.map(base);
  const clip = (s: string) => (s.length > 40 ? `…${s.slice(-39)}` : s);
  return short.map((s, i) =>
    clip(short.indexOf(s) !== short.lastIndexOf(s) ? `${path.basename(path.dirname(path.resolve(files[i])))}/${s}` : s),
  );
}

/** Parses the logs; a missing log or one without iterations is a one-line CaffeError. */
export function loadLogs(files: string[], year?: number): PlotLog[] {
  if (!files.length) throw new CaffeError('plot: no log file given');
  const names = labels(files);
  return files.map((file, i) => {
    const parsed = parseLog(file, { year, flushPartial: true });
    if (!parsed.train.length && !parsed.test.length) {
      throw new CaffeError(
        `${file}: no training iterations found (no "Iteration N" lines with net outputs; is it a Caffe training log?)`,
      );
    }
    return { file, label: names[i], parsed };
  });
}

const finite = (d: { y: number[] } | undefined) => !!d && d.y.some(Number.isFinite);
const fitsUnit = (ds: ({ y: number[] } | undefined)[]) =>
  ds.every((d) => !d || d.y.every((v) => !Number.isFinite(v) || (v >= 0 && v <= 1)));

/** The dashboard: loss and accuracy vs. iterations above, the learning rate below. */
function dashboard(logs: PlotLog[], o: PlotOptions): string {
  const W = o.width ?? 1200;
  const H = o.height ?? 800;
  const svg = new Svg(W, H);
  const multi = logs.length > 1;
  const styles = {
    train: { name: 'train loss', dash: undefined, marker: 'none' as Marker, width: 1.6 },
    test: { name: 'test loss', dash: '8 4', marker: 'circle' as Marker, width: 2 },
    acc: { name: 'test accuracy', dash: multi ? '2 3' : undefined, marker: 'square' as Marker, width: 2.2 },
  };
  const color = (i: number, k: number) => (multi ? PALETTE[i % PALETTE.length] : PALETTE[k]);
  const main: Series[] = [];
  const lr: Series[] = [];
  const accData: ({ y: number[] } | undefined)[] = [];
  logs.forEach((l, i) => {
    const tl = fieldData(l.parsed, 'Train loss', 'NumIters');
    const vl = fieldData(l.parsed, 'Test loss', 'NumIters');
    const va = fieldData(l.parsed, 'Test accuracy', 'NumIters');
    const r = fieldData(l.parsed, 'Train learning rate', 'NumIters');
    const name = (s: string) => (multi ? `${l.label}: ${s}` : s);
    if (finite(tl)) main.push({ ...tl!, ...styles.train, label: name(styles.train.name), color: color(i, 0) });
    if (!multi) {
      for (const [k, o] of trainOutputs(l.parsed).entries()) {
        const c = PALETTE[(5 + k) % PALETTE.length];
        if (finite(o)) main.push({ x: o.x, y: o.y, label: `train ${o.name}`, color: c, width: 1, dash: '3 2' });
      }
    }
    const mk = (d: { x: number[] }, m: Marker): Marker => (d.x.length <= 50 ? m : 'none');
    if (finite(vl))
      main.push({
        ...vl!,
        ...styles.test,
        marker: mk(vl!, 'circle'),
        label: name(styles.test.name),
        color: color(i, 1),
      });
    if (finite(va)) {
      main.push({
        ...va!,
        ...styles.acc,
        marker: mk(va!, 'square'),
        label: name(styles.acc.name),
        color: color(i, 2),
        axis: 'right',
      });
      accData.push(va);
    }
    if (finite(r))
      lr.push({ ...r!, label: multi ? l.label : 'learning rate', color: multi ? color(i, 0) : PALETTE[4], width: 1.6 });
  });
  const legendEntries: Series[] = multi
    ? Object.values(styles).map((s) => ({ ...s, label: s.name, x: [], y: [], color: '#555' }))
    : main.concat(lr);
  const logEntries: Series[] = multi
    ? logs.map((l, i) => ({ label: l.label, x: [], y: [], color: color(i, 0), width: 4 }))
    : [];
  const lw = Math.max(
    legendWidth(legendEntries.map((e) => e.label).concat('Series')),
    legendWidth(logEntries.map((e) => e.label).concat('Logs')),
  );
  const hasAcc = main.some((s) => s.axis === 'right');
  const left = 90;
  const pw = W - left - (hasAcc ? 80 : 30) - lw - 20;
  const mainH = Math.round((H - 60) * 0.6);
  const lrY = 60 + mainH + 62;
  const lrH = H - lrY - 62;
  let xs = [...main, ...lr].flatMap((s) => s.x.filter(Number.isFinite));
  if (!xs.length) xs = [0, 1];
  const xt = niceTicks(
    xs.reduce((a, b) => Math.min(a, b)),
    xs.reduce((a, b) => Math.max(a, b)),
    Math.max(3, Math.round(pw / 80)),
  );
  const xRange: [number, number] = [xt.lo, xt.hi];
  svg.text(W / 2, 28, o.title ?? `Training log: ${logs.map((l) => l.label).join(', ')}`, {
    anchor: 'middle',
    size: 17,
    bold: true,
  });
  drawPanel(svg, {
    x: left,
    y: 60,
    w: pw,
    h: mainH,
    xRange,
    series: main,
    yLabel: 'Loss',
    y2Label: hasAcc ? 'Test accuracy' : undefined,
    y2Range: hasAcc && fitsUnit(accData) ? [0, 1] : undefined,
  });
  drawPanel(svg, { x: left, y: lrY, w: pw, h: lrH, xRange, series: lr, yLabel: 'Learning rate', xLabel: 'Iterations' });
  const lx = W - lw - 15;
  const h1 = drawLegend(svg, lx, 60, legendEntries, multi ? 'Series' : undefined);
  if (multi) drawLegend(svg, lx, 60 + h1 + 12, logEntries, 'Logs');
  return svg.toString();
}

/** plot_training_log.py's chart type `n`: one line (with markers) per log. */
function singleChart(logs: PlotLog[], n: number, o: PlotOptions): string {
  const desc = CHART_TYPES[n];
  const [yField, xField] = desc.split('  vs. ') as [Field, 'Iters' | 'Seconds'];
  const W = o.width ?? 1000;
  const H = o.height ?? 650;
  const series: Series[] = [];
  logs.forEach((l, i) => {
    const d = fieldData(l.parsed, yField, xField === 'Iters' ? 'NumIters' : 'Seconds');
    if (!finite(d)) return;
    const marker = d!.x.length <= 50 ? MARKERS[i % MARKERS.length] : 'none';
    series.push({ ...d!, label: l.label, color: PALETTE[i % PALETTE.length], marker, width: 1.5 });
  });
  if (!series.length) {
    throw new CaffeError(
      `plot --chart=${n} (${desc}): no ${yField.toLowerCase()} values in ${logs.map((l) => l.file).join(', ')}`,
    );
  }
  const svg = new Svg(W, H);
  const lw = legendWidth(series.map((s) => s.label));
  const accUnit = yField === 'Test accuracy' && fitsUnit(series);
  drawPanel(svg, {
    x: 90,
    y: 50,
    w: W - 90 - lw - 40,
    h: H - 50 - 70,
    title: o.title ?? desc,
    series,
    xLabel: xField,
    yLabel: yField,
    yRange: accUnit ? [0, 1] : undefined,
  });
  drawLegend(svg, W - lw - 15, 50, series);
  return svg.toString();
}

/** The SVG text of the chart of `logs`. */
export function renderChartSvg(logs: PlotLog[], options: PlotOptions = {}): string {
  checkChartType(options.chart);
  return options.chart === undefined ? dashboard(logs, options) : singleChart(logs, options.chart, options);
}

/** A one-line CaffeError unless `n` is undefined (the dashboard) or one of CHART_TYPES. */
export function checkChartType(n: number | undefined): void {
  if (n === undefined || (Number.isInteger(n) && n >= 0 && n < CHART_TYPES.length)) return;
  throw new CaffeError(
    `plot: ${n} is not a valid chart type; supported (0-${CHART_TYPES.length - 1}): ` +
      CHART_TYPES.map((c, i) => `${i}: ${c.replace('  ', ' ')}`).join(', '),
  );
}

/** The chart format by `outFile`'s extension; anything but .svg / .png is a one-line CaffeError. */
export function chartFormat(outFile: string): 'svg' | 'png' {
  const ext = path.extname(outFile).toLowerCase();
  if (ext !== '.svg' && ext !== '.png')
    throw new CaffeError(`${outFile}: the chart's file name must end in .png or .svg`);
  return ext === '.svg' ? 'svg' : 'png';
}

/** Draws the chart of loaded logs to `outFile` (SVG, or PNG rasterized by sharp); returns the format. */
export async function writeChart(logs: PlotLog[], outFile: string, options: PlotOptions): Promise<'svg' | 'png'> {
  const format = chartFormat(outFile);
  const svg = renderChartSvg(logs, options);
  if (format === 'svg') {
    writeFileAtomic(outFile, svg);
  } else {
    const sharp = (await import('sharp')).default;
    writeFileAtomic(outFile, await sharp(Buffer.from(svg)).png().toBuffer());
  }
  return format;
}

/** Draws the chart of `logFile` (one log or several, one legend entry each) to `outFile`: SVG for
 *  .svg, PNG (the SVG rasterized by sharp) for .png. Returns the format written. */
export async function plotTrainingLog(
  logFile: string | string[],
  outFile: string,
  options: PlotOptions = {},
): Promise<'svg' | 'png'> {
  chartFormat(outFile);
  checkChartType(options.chart);
  return writeChart(loadLogs(Array.isArray(logFile) ? logFile : [logFile], options.year), outFile, options);
}
