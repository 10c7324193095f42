// parse_log.ts: tools/extra/parse_log.py's tables from glog training logs (synthetic and real ones).
import * as fs from 'fs';
import * as path from 'path';
import {
  formatParseLogCsv,
  glogStamp,
  parseLog,
  parseLogText,
  pyFloatRepr,
  saveParseLogCsvFiles,
  LogRow,
} from '../../src/plot/parse_log';
import { CaffeError } from '../../src/util/errors';
import { describeShared, sharedPath, tmpDir } from '../helpers';

const row = (r: LogRow) => Object.fromEntries(r);

// A log over a new year: Solving on Dec 31, iterations on Jan 1 of the next year.
const SYNTHETIC = [
  'I1231 23:59:58.500000 1 solver.cpp:45] Initializing solver from parameters:',
  'base_lr: 1e-05',
  'I1231 23:59:59.000000 1 solver.cpp:289] Solving Tiny',
  'I1231 23:59:59.250000 1 solver.cpp:347] Iteration 0, Testing net (#0)',
  'I1231 23:59:59.500000 1 solver.cpp:414]     Test net output #0: accuracy = 0.1',
  'I1231 23:59:59.500001 1 solver.cpp:414]     Test net output #1: loss = 2.30259 (* 1 = 2.30259 loss)',
  'I1231 23:59:59.750000 1 solver.cpp:239] Iteration 0 (0 iter/s, 0.1s/1 iters), loss = 2.3',
  'I1231 23:59:59.750001 1 solver.cpp:258]     Train net output #0: loss = 2.3 (* 1 = 2.3 loss)',
  'I1231 23:59:59.750002 1 solver.cpp:258]     Train net output #1: "odd,name" = 1.5E+20',
  'I1231 23:59:59.750003 1 sgd_solver.cpp:112] Iteration 0, lr = 1e-05',
  'I0101 00:00:00.750000 1 solver.cpp:239] Iteration 1 (1 iter/s, 1s/1 iters), loss = 0.30000000000000004',
  'I0101 00:00:00.750001 1 solver.cpp:258]     Train net output #0: loss = 0.30000000000000004 (* 1 = 0.3 loss)',
  'no time stamp here: Train net output #0: loss = 99',
  'I0101 00:00:00.750002 1 solver.cpp:258]     Train net output #1: "odd,name" = 7',
  'I0101 00:00:00.750003 1 sgd_solver.cpp:112] Iteration 1, lr = 9.99e-06',
  'I0101 00:00:01.000000 1 solver.cpp:239] Iteration 2 (1 iter/s, 1s/1 iters), loss = 0.2',
  'I0101 00:00:01.000001 1 solver.cpp:258]     Train net output #0: loss = nan (* 1 = nan loss)',
  'I0101 00:00:01.000002 1 solver.cpp:258]     Train net output #1: "odd,name" = 8',
  'I0101 00:00:01.000003 1 sgd_solver.cpp:112] Iteration 2, lr = 9.98e-06',
  'I0101 00:00:01.500000 1 solver.cpp:347] Iteration 3, Testing net (#0)',
  'I0101 00:00:01.600000 1 solver.cpp:414]     Test net output #0: accuracy = 0.75',
  'I0101 00:00:01.600001 1 solver.cpp:332] Optimization Done.',
  '',
].join('\n');

describe('parse_log', () => {
  it('formats floats as Python repr()', () => {
    const cases: [number, string][] = [
      [0, '0.0'],
      [-0, '-0.0'],
      [1, '1.0'],
      [30, '30.0'],
      [0.01, '0.01'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1.5e-7, '1.5e-07'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [0.1 + 0.2, '0.30000000000000004'],
      [123456789012.5, '123456789012.5'],
      [2.5e20, '2.5e+20'],
      [-0.056492, '-0.056492'],
      [1e100, '1e+100'],
      [NaN, 'nan'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
    ];
    for (const [v, s] of cases) expect(pyFloatRepr(v)).toBe(s);
  });

  it("reads glog stamps as extract_seconds.py does (and refuses what Python's datetime refuses)", () => {
    const a = glogStamp('I0210 13:39:22.381027 25210 solver.cpp:204] Iteration 100, lr = 0.00992565', 2024);
    const b = glogStamp('I0210 13:39:23.000000 25210 x.cpp:1] y', 2024);
    expect(a?.month).toBe(2);
    expect((b!.us - a!.us) / 1e6).toBe(0.618973);
    expect(glogStamp('I0229 00:00:00.000000 1 x] y', 2023)).toBeUndefined();
    expect(glogStamp('I0229 00:00:00.000000 1 x] y', 2024)).toBeDefined();
    expect(glogStamp('test_iter: 4', 2024)).toBeUndefined();
    expect(glogStamp('', 2024)).toBeUndefined();
  });

  it("builds parse_log.py's rows: year rollover, lr, first-row lr fix, pending rows", () => {
    const { train, test } = parseLogText(SYNTHETIC, { year: 2023 });
    // Train rows: iteration 0 and 1 complete; iteration 2 lacks `loss` (nan is not matched) and stays pending.
    expect(train.map(row)).toEqual([
      { NumIters: 0, Seconds: 0.750001, LearningRate: 1e-5, loss: 2.3, '"odd,name"': 1.5e20 },
      { NumIters: 1, Seconds: 1.750001, LearningRate: 1e-5, loss: 0.30000000000000004, '"odd,name"': 7 },
    ]);
    // The test table's second row is incomplete at the end: parse_log.py keeps the first row only,
    // whose LearningRate stays NaN (the fix copies it from a second row).
    expect(test.map(row)).toEqual([{ NumIters: 0, Seconds: 0.5, LearningRate: NaN, accuracy: 0.1, loss: 2.30259 }]);
    const kept = parseLogText(SYNTHETIC, { year: 2023, flushPartial: true });
    expect(row(kept.train[2])).toEqual({ NumIters: 2, Seconds: 2.000002, LearningRate: 9.99e-6, '"odd,name"': 8 });
    expect(kept.test.map(row)).toEqual([
      { NumIters: 0, Seconds: 0.5, LearningRate: 9.98e-6, accuracy: 0.1, loss: 2.30259 },
      { NumIters: 3, Seconds: 2.6, LearningRate: 9.98e-6, accuracy: 0.75 },
    ]);
  });

  it('writes the CSV as csv.DictWriter does: CRLF, quoting, empty for a missing column', () => {
    const { train } = parseLogText(SYNTHETIC, { year: 2023, flushPartial: true });
    expect(formatParseLogCsv(train)).toBe(
      'NumIters,Seconds,LearningRate,loss,"""odd,name"""\r\n' +
        '0.0,0.750001,1e-05,2.3,1.5e+20\r\n' +
        '1.0,1.750001,1e-05,0.30000000000000004,7.0\r\n' +
        '2.0,2.000002,9.99e-06,,8.0\r\n',
    );
    expect(formatParseLogCsv(train, '\t').split('\r\n')[0]).toBe(
      'NumIters\tSeconds\tLearningRate\tloss\t"""odd,name"""',
    );
    expect(formatParseLogCsv([])).toBe('');
  });

  it('starts the clock at the first time stamp when there is no Solving line', () => {
    const text = SYNTHETIC.split('\n')
      .filter((l) => !l.includes('Solving'))
      .join('\n');
    const { train } = parseLogText(text, { year: 2023 });
    expect(train[0].get('Seconds')).toBe(1.250001);
    expect(parseLogText('nothing here\n', { year: 2023 })).toEqual({ train: [], test: [], loss: [] });
  });

  it('writes <log>.train and <log>.test, nothing for an empty table; one-line error for a missing log', () => {
    const d = tmpDir();
    const log = path.join(d, 'x.log');
    fs.writeFileSync(log, SYNTHETIC);
    expect(saveParseLogCsvFiles(log, d, parseLog(log, { year: 2023 }))).toEqual([`${log}.train`, `${log}.test`]);
    expect(fs.readFileSync(`${log}.train`, 'utf8')).toMatch(/^NumIters,Seconds,LearningRate,loss,/);
    expect(fs.readFileSync(`${log}.test`, 'utf8')).toBe(
      'NumIters,Seconds,LearningRate,accuracy,loss\r\n0.0,0.5,nan,0.1,2.30259\r\n',
    );
    fs.writeFileSync(log, SYNTHETIC.replace(/Test net/g, 'Test nett'));
    fs.rmSync(`${log}.test`);
    expect(saveParseLogCsvFiles(log, d, parseLog(log, { year: 2023 }))).toEqual([`${log}.train`]);
    expect(fs.existsSync(`${log}.test`)).toBe(false);
    expect(() => parseLog(path.join(d, 'nope.log'))).toThrow(
      new CaffeError(`${path.join(d, 'nope.log')}: no such log file`),
    );
  });
});

/** Rows of the log text counted independently of the parser. */
function count(file: string, re: RegExp): number {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => re.test(l)).length;
}
const stampSeconds = (line: string) => {
  const m = /^.\d{4} (\d+):(\d+):(\d+)\.(\d+)/.exec(line)!;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1e6;
};

describeShared('parse_log on real Caffe logs', () => {
  const dir = sharedPath('fixtures/caffe-train');

  it('lenet-fmnist/caffe_train.log: 60 train rows, 4 test rows, values from the log', () => {
    const f = path.join(dir, 'lenet-fmnist/caffe_train.log');
    const { train, test } = parseLog(f);
    expect(train).toHaveLength(count(f, /Train net output #0/));
    expect(train).toHaveLength(60);
    expect(test).toHaveLength(count(f, /Testing net \(#0\)/));
    expect(test.map((r) => r.get('NumIters'))).toEqual([0, 20, 40, 60]);
    expect(row(train[0])).toEqual({ NumIters: 0, Seconds: 0.089823, LearningRate: 0.01, loss: 2.33146 });
    expect(row(train[2])).toMatchObject({ NumIters: 2, LearningRate: 0.00999925, loss: 2.3178 });
    expect(row(test[3])).toMatchObject({ NumIters: 60, accuracy: 0.7, loss: 0.845003 });
    const lines = fs.readFileSync(f, 'utf8').split('\n');
    const solving = stampSeconds(lines.find((l) => l.includes('] Solving '))!);
    const lastAcc = lines.filter((l) => l.includes('Test net output #0')).pop()!;
    expect(test[3].get('Seconds')).toBeCloseTo(stampSeconds(lastAcc) - solving, 6);
  });

  it('lenet-fmnist/caffe_resume.log: a resumed run starts at iteration 30', () => {
    const f = path.join(dir, 'lenet-fmnist/caffe_resume.log');
    const { train, test } = parseLog(f);
    expect(train).toHaveLength(30);
    expect(train[0].get('NumIters')).toBe(30);
    expect(row(train[0])).toMatchObject({ loss: 1.00635, LearningRate: 0.00997756 });
    expect(test.map((r) => [r.get('NumIters'), r.get('accuracy')])).toEqual([
      [40, 0.625],
      [60, 0.66],
    ]);
  });

  it('alexnet-mini/caffe_train.log: three test outputs, step lr', () => {
    const f = path.join(dir, 'alexnet-mini/caffe_train.log');
    const { train, test } = parseLog(f);
    expect(train).toHaveLength(40);
    expect(test).toHaveLength(5);
    expect([...test[0].keys()]).toEqual(['NumIters', 'Seconds', 'LearningRate', 'accuracy', 'accuracy_top2', 'loss']);
    expect(row(test[4])).toMatchObject({ NumIters: 40, accuracy: 0.375, accuracy_top2: 0.65, loss: 1.53026 });
    expect(new Set(train.map((r) => r.get('LearningRate')))).toEqual(new Set([0.05, 0.025, 0.0125, 0.00625]));
  });
});
