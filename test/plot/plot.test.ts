// plot/plot.ts and plot/svg_chart.ts: charts of training logs (SVG, PNG via sharp); `caffets plot`.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { plotCommand } from '../../src/api/plot_command';
import { formatParseLogCsv, parseLog, parseLogText } from '../../src/plot/parse_log';
import { CHART_TYPES, loadLogs, plotTrainingLog, renderChartSvg } from '../../src/plot/plot';
import { formatTick, niceTicks } from '../../src/plot/svg_chart';
import { CaffeError } from '../../src/util/errors';
import { setLogSink } from '../../src/util/logging';
import { describeShared, ROOT, sharedPath, tmpDir } from '../helpers';

const TINY = [
  'I0301 10:00:00.000000 1 solver.cpp:289] Solving Tiny<&>',
  'I0301 10:00:00.100000 1 solver.cpp:347] Iteration 0, Testing net (#0)',
  'I0301 10:00:00.200000 1 solver.cpp:414]     Test net output #0: accuracy = 0.1',
  'I0301 10:00:00.200001 1 solver.cpp:414]     Test net output #1: loss = 2.3 (* 1 = 2.3 loss)',
  ...[0, 1, 2, 3].flatMap((i) => [
    `I0301 10:00:0${i + 1}.000000 1 solver.cpp:239] Iteration ${i} (1 iter/s, 1s/1 iters), loss = ${2 - i / 4}`,
    `I0301 10:00:0${i + 1}.000001 1 solver.cpp:258]     Train net output #0: loss = ${2 - i / 4} (* 1 = 1 loss)`,
    `I0301 10:00:0${i + 1}.000002 1 sgd_solver.cpp:112] Iteration ${i}, lr = ${0.01 / (i + 1)}`,
  ]),
  'I0301 10:00:06.000000 1 solver.cpp:347] Iteration 4, Testing net (#0)',
  'I0301 10:00:06.100000 1 solver.cpp:414]     Test net output #0: accuracy = 0.5',
  'I0301 10:00:06.100001 1 solver.cpp:414]     Test net output #1: loss = 1.1 (* 1 = 1.1 loss)',
  '',
].join('\n');

function tinyLog(dir: string, name = 'tiny.log'): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, TINY);
  return f;
}

function caffets(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let restoreLog: () => void;
beforeAll(() => {
  restoreLog = setLogSink(() => undefined);
});
afterAll(() => restoreLog());

describe('svg_chart', () => {
  it('picks nice ticks and labels', () => {
    expect(niceTicks(0, 60, 7)).toMatchObject({ lo: 0, hi: 60, step: 10 });
    expect(niceTicks(0.00995598, 0.01, 4)).toMatchObject({ step: 0.00001 });
    expect(niceTicks(0.4, 2.36, 8).values.map((v) => formatTick(v, 0.2))).toEqual([
      '0.4',
      '0.6',
      '0.8',
      '1.0',
      '1.2',
      '1.4',
      '1.6',
      '1.8',
      '2.0',
      '2.2',
      '2.4',
    ]);
    const t = niceTicks(3, 3);
    expect(t.lo).toBeLessThan(3);
    expect(t.hi).toBeGreaterThan(3);
    expect(formatTick(0.00996, 0.00002)).toBe('0.00996');
    expect(formatTick(20, 10)).toBe('20');
    expect(formatTick(2e-6, 1e-6)).toBe('2e-6');
    expect(formatTick(0, 0.2)).toBe('0');
  });
});

describe('plot', () => {
  it('draws the dashboard: loss and accuracy panel, lr panel, legend, escaped text', () => {
    const d = tmpDir();
    const logs = loadLogs([tinyLog(d, 'a<b>.log')]);
    const svg = renderChartSvg(logs);
    expect(svg).toMatch(/^<\?xml/);
    expect(svg.match(/<polyline /g)?.length).toBe(4); // train loss, test loss, test accuracy, lr
    for (const s of [
      'train loss',
      'test loss',
      'test accuracy',
      'learning rate',
      'Iterations',
      'Loss',
      'Test accuracy',
    ]) {
      expect(svg).toContain(`>${s}</text>`);
    }
    expect(svg).toContain('Training log: a&#60;b&#62;');
  });

  it("draws plot_training_log.py's chart types 0-7, one legend entry per log", () => {
    const d = tmpDir();
    const logs = loadLogs([tinyLog(d, 'one.log'), tinyLog(d, 'two.log')]);
    expect(CHART_TYPES).toHaveLength(8);
    CHART_TYPES.forEach((desc, n) => {
      const svg = renderChartSvg(logs, { chart: n });
      expect(svg).toContain(`>${desc}</text>`);
      expect(svg.match(/<polyline /g)?.length).toBe(2);
      expect(svg).toContain('>one</text>');
      expect(svg).toContain('>two</text>');
    });
    expect(() => renderChartSvg(logs, { chart: 8 })).toThrow(/8 is not a valid chart type; supported \(0-7\)/);
  });

  it('says so in one line for a missing log, a log without iterations, a bad extension', async () => {
    const d = tmpDir();
    const junk = path.join(d, 'junk.log');
    fs.writeFileSync(junk, 'I0301 10:00:00.000000 1 caffe.cpp:1] hello\n');
    await expect(plotTrainingLog(path.join(d, 'nope.log'), path.join(d, 'x.png'))).rejects.toThrow(
      new CaffeError(`${path.join(d, 'nope.log')}: no such log file`),
    );
    await expect(plotTrainingLog(junk, path.join(d, 'x.png'))).rejects.toThrow(
      /junk\.log: no training iterations found/,
    );
    await expect(plotTrainingLog(tinyLog(d), path.join(d, 'x.jpg'))).rejects.toThrow(/must end in \.png or \.svg/);
    expect(fs.readdirSync(d).sort()).toEqual(['junk.log', 'tiny.log']);
  });

  it('plotCommand: --csv alone writes the tables, with --output the chart too', async () => {
    const d = tmpDir();
    const log = tinyLog(d);
    expect(await plotCommand([log], { csv: true })).toEqual([`${log}.train`, `${log}.test`]);
    expect(fs.existsSync(`${log}.png`)).toBe(false);
    const svgOut = path.join(d, 'c.svg');
    expect(await plotCommand([log], { csv: true, output: svgOut, chart: 6 })).toEqual([
      `${log}.train`,
      `${log}.test`,
      svgOut,
    ]);
    expect(await plotCommand([log], {})).toEqual([`${log}.png`]);
    expect((await sharp(`${log}.png`).metadata()).format).toBe('png');
  });
});

// GoogLeNet-style: three weighted loss heads; the solver's `loss = ` line is their weighted sum (here
// 0.3 * loss1 + 0.3 * loss2 + loss3), which is what the chart's train loss must be. Its test net has
// loss and top-1/top-5 outputs per head; the last head (loss3) is the net's own.
const HEADS = [0, 1, 2, 3].map((i) => [7 - i, 6.8 - i, 6.5 - i]);
const totalOf = (h: number[]) => Math.round((0.3 * h[0] + 0.3 * h[1] + h[2]) * 1e4) / 1e4;
const stamp = (s: number, us: number) => `I0301 10:00:0${s}.${String(us).padStart(6, '0')} 1`;
const GOOGLENET = (train: (h: number[]) => string[], test: string[]) => {
  const testing = (it: number) => [
    `${stamp(it, 1)} solver.cpp:347] Iteration ${it}, Testing net (#0)`,
    ...test.map((o, k) => `${stamp(it, 2 + k)} solver.cpp:414]     Test net output #${k}: ${o}${it + 1}`),
  ];
  return [
    `${stamp(0, 0)} solver.cpp:289] Solving GoogleNet`,
    ...testing(0),
    ...HEADS.flatMap((h, i) => [
      `${stamp(i + 1, 10)} solver.cpp:239] Iteration ${i} (1 iter/s, 1s/1 iters), loss = ${totalOf(h)}`,
      ...train(h).map((o, k) => `${stamp(i + 1, 11 + k)} solver.cpp:258]     Train net output #${k}: ${o}`),
      `${stamp(i + 1, 19)} sgd_solver.cpp:112] Iteration ${i}, lr = 0.01`,
    ]),
    ...testing(4),
    '',
  ].join('\n');
};
const HEADS_LOG = GOOGLENET(
  (h) => [
    `loss1/loss1 = ${h[0]} (* 0.3 = ${0.3 * h[0]} loss)`,
    `loss2/loss2 = ${h[1]} (* 0.3 = ${0.3 * h[1]} loss)`,
    `loss3/loss3 = ${h[2]} (* 1 = ${h[2]} loss)`,
  ],
  // the values of test N (0, 4): 5.M, 0.M, ... with M = N + 1
  ['loss1/loss1 = 5.', 'loss1/top-1 = 0.', 'loss1/top-5 = 0.9', 'loss3/loss3 = 4.', 'loss3/top-1 = 0.5'],
);

describe("plot: train loss is the solver's total loss", () => {
  it("reads `Iteration N, loss = X` (Caffe 1.0's and older Caffe's) beside parse_log.py's tables", () => {
    const parsed = parseLogText(HEADS_LOG, { year: 2023 });
    expect(parsed.loss.map((r) => [r.get('NumIters'), r.get('loss')])).toEqual(HEADS.map((h, i) => [i, totalOf(h)]));
    expect(parsed.loss[1].get('Seconds')).toBe(2.00001);
    expect(formatParseLogCsv(parsed.train).split('\r\n')[0]).toBe(
      'NumIters,Seconds,LearningRate,loss1/loss1,loss2/loss2,loss3/loss3',
    );
    const old = `${stamp(0, 0)} solver.cpp:289] Solving X\n${stamp(1, 0)} solver.cpp:209] Iteration 20, loss = nan\n`;
    const oldLoss = parseLogText(old, { year: 2023 }).loss;
    expect(oldLoss.map((r) => [r.get('NumIters'), r.get('Seconds')])).toEqual([[20, 1]]);
    expect(oldLoss[0].get('loss')).toBeNaN();
  });

  it('charts the total, not the first (0.3-weighted) head, each head a curve of its name; tests: loss3', () => {
    const d = tmpDir();
    fs.mkdirSync(path.join(d, 'heads'));
    fs.mkdirSync(path.join(d, 'total'));
    const heads = path.join(d, 'heads', 'googlenet.log'),
      total = path.join(d, 'total', 'googlenet.log');
    fs.writeFileSync(heads, HEADS_LOG);
    // the same run as if its only train output were the total, and its only test outputs loss3's
    const onlyTotal = (h: number[]) => [`loss = ${totalOf(h)} (* 1 = ${totalOf(h)} loss)`];
    fs.writeFileSync(total, GOOGLENET(onlyTotal, ['loss = 4.', 'accuracy = 0.5']));
    for (const chart of CHART_TYPES.keys()) {
      expect([chart, renderChartSvg(loadLogs([heads]), { chart })]).toEqual([
        chart,
        renderChartSvg(loadLogs([total]), { chart }),
      ]);
    }
    const svg = renderChartSvg(loadLogs([heads]));
    for (const s of ['train loss', 'train loss1/loss1', 'train loss2/loss2', 'train loss3/loss3', 'test loss'])
      expect(svg).toContain(`>${s}</text>`);
    // total, three heads, test loss, test accuracy, lr
    expect(svg.match(/<polyline /g)?.length).toBe(7);
    // several logs: the totals only
    expect(renderChartSvg(loadLogs([heads, total])).match(/<polyline /g)?.length).toBe(2 * 4);
  });
});

describeShared('plot on real Caffe logs', () => {
  const lenet = sharedPath('fixtures/caffe-train/lenet-fmnist/caffe_train.log');
  const resume = sharedPath('fixtures/caffe-train/lenet-fmnist/caffe_resume.log');
  const alex = sharedPath('fixtures/caffe-train/alexnet-mini/caffe_train.log');

  it('renders a valid PNG and SVG of lenet', async () => {
    const d = tmpDir();
    expect(await plotTrainingLog(lenet, path.join(d, 'lenet.png'))).toBe('png');
    expect(await plotTrainingLog(lenet, path.join(d, 'lenet.svg'))).toBe('svg');
    const png = await sharp(path.join(d, 'lenet.png')).metadata();
    expect([png.format, png.width, png.height]).toEqual(['png', 1200, 800]);
    const svg = await sharp(path.join(d, 'lenet.svg')).metadata();
    expect([svg.format, svg.width, svg.height]).toEqual(['svg', 1200, 800]);
    // the PNG is not blank: its pixels vary
    const stats = await sharp(path.join(d, 'lenet.png')).stats();
    expect(stats.channels[0].min).toBeLessThan(100);
    expect(stats.channels[0].max).toBe(255);
  });

  it("alexnet-mini (average_loss 5): train loss is the smoothed `loss = ` line, not the output's value", () => {
    const lines = fs.readFileSync(alex, 'utf8').split('\n');
    const smoothed = lines.filter((l) => / solver\.cpp:\d+\] Iteration \d+.*, loss = /.test(l)); // the final one too
    const parsed = parseLog(alex);
    expect(parsed.loss.map((r) => r.get('loss'))).toEqual(smoothed.map((l) => Number(l.split('loss = ')[1])));
    expect(parsed.loss).toHaveLength(41);
    expect(parsed.loss[0].get('loss')).not.toBe(parsed.train[0].get('loss'));
  });

  it('charts several logs, labels them by file (with the folder when names clash)', async () => {
    const svg = renderChartSvg(loadLogs([lenet, resume, alex]));
    for (const l of ['lenet-fmnist/caffe_train', 'caffe_resume', 'alexnet-mini/caffe_train'])
      expect(svg).toContain(`>${l}</text>`);
    expect(svg.match(/<polyline /g)?.length).toBe(3 * 4);
    const d = tmpDir();
    const png = path.join(d, 'acc.png');
    await plotTrainingLog([lenet, alex], png, { chart: 0 });
    expect((await sharp(png).metadata()).width).toBe(1000);
  });

  it('caffets plot end to end: --output, --chart, --csv beside a copy of the log, one-line errors', () => {
    const d = tmpDir();
    const out = path.join(d, 'chart.svg');
    let r = caffets('plot', lenet, alex, `--output=${out}`, '--chart=6');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('Train loss  vs. Iters');
    const copy = path.join(d, 'caffe.log');
    fs.copyFileSync(lenet, copy);
    r = caffets('plot', copy, '--csv');
    expect(r.code).toBe(0);
    expect(fs.readdirSync(d).sort()).toEqual(['caffe.log', 'caffe.log.test', 'caffe.log.train', 'chart.svg']);
    expect(fs.readFileSync(`${copy}.test`, 'utf8').split('\r\n')[0]).toBe(
      'NumIters,Seconds,LearningRate,accuracy,loss',
    );
    r = caffets('plot', path.join(d, 'missing.log'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`caffets: ${path.join(d, 'missing.log')}: no such log file\n`);
    r = caffets('plot', copy, '--chart=12');
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
