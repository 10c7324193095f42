// plot/plot.ts and plot/svg_chart.ts: charts of training logs (SVG, PNG via sharp); `caffets plot`.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { plotCommand } from '../../src/api/plot_command';
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
