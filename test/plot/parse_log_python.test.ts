// OPTIONAL DEV CHECK, not part of the product's guarantees: runs BVLC Caffe's own
// tools/extra/parse_log.py (from a Caffe checkout beside the repo, ../bvlc, or $BVLC_CAFFE_ROOT; it
// lives outside this repo) and compares its CSV files with ours byte for byte. parse_log.py is
// Python 2 code (`print 'Wrote %s'`), so this needs a Python 2 interpreter (python2, python2.7, or a
// pyenv 2.x); it uses only the standard library. Skips with a one-line reason when either is absent.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseLog, pyFloatRepr, saveParseLogCsvFiles } from '../../src/plot/parse_log';
import { HAVE_SHARED, ROOT, sharedPath, tmpDir } from '../helpers';

const BVLC = process.env.BVLC_CAFFE_ROOT ?? path.resolve(ROOT, '../bvlc');
const PARSE_LOG = path.join(BVLC, 'tools/extra/parse_log.py');

interface Py {
  cmd: string;
  env: NodeJS.ProcessEnv;
}

function findPython2(): Py | undefined {
  const tries: Py[] = [
    { cmd: 'python2', env: process.env },
    { cmd: 'python2.7', env: process.env },
  ];
  try {
    const versions = execFileSync('pyenv', ['versions', '--bare'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    for (const v of versions
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => /^2\.\d/.test(s))) {
      tries.push({ cmd: 'python', env: { ...process.env, PYENV_VERSION: v } });
    }
  } catch {
    /* no pyenv */
  }
  for (const t of tries) {
    try {
      const out = execFileSync(t.cmd, ['-c', 'import sys; print(sys.version_info[0])'], {
        env: t.env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      if (out.trim() === '2') return t;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

const PY = fs.existsSync(PARSE_LOG) ? findPython2() : undefined;
const why = !fs.existsSync(PARSE_LOG) ? `${PARSE_LOG} is absent` : 'no Python 2 interpreter to run parse_log.py';
const describeBvlc = PY ? describe : (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${why}]`, fn);

// Over a year end, with exponents, a name that needs CSV quoting, a nan loss, a line without a stamp.
const SYNTHETIC = `I1231 23:59:59.000000 1 solver.cpp:289] Solving Tiny
I1231 23:59:59.250000 1 solver.cpp:347] Iteration 0, Testing net (#0)
I1231 23:59:59.500000 1 solver.cpp:414]     Test net output #0: accuracy = 0.1
I1231 23:59:59.500001 1 solver.cpp:414]     Test net output #1: loss = 2.30259 (* 1 = 2.30259 loss)
I1231 23:59:59.750000 1 solver.cpp:239] Iteration 0 (0 iter/s, 0.1s/1 iters), loss = 2.3
I1231 23:59:59.750001 1 solver.cpp:258]     Train net output #0: loss = 2.3 (* 1 = 2.3 loss)
I1231 23:59:59.750002 1 solver.cpp:258]     Train net output #1: "odd,name" = 1.5E+20
I1231 23:59:59.750003 1 sgd_solver.cpp:112] Iteration 0, lr = 1e-05
I0101 00:00:00.750000 1 solver.cpp:239] Iteration 1 (1 iter/s, 1s/1 iters), loss = 0.3
I0101 00:00:00.750001 1 solver.cpp:258]     Train net output #0: loss = 0.30000000000000004 (* 1 = 0.3 loss)
no time stamp here: Train net output #0: loss = 99
I0101 00:00:00.750002 1 solver.cpp:258]     Train net output #1: "odd,name" = 7
I0101 00:00:00.750003 1 sgd_solver.cpp:112] Iteration 1, lr = 9.99e-06
I0101 00:00:01.000000 1 solver.cpp:239] Iteration 2 (1 iter/s, 1s/1 iters), loss = nan
I0101 00:00:01.000001 1 solver.cpp:258]     Train net output #0: loss = nan (* 1 = nan loss)
I0101 00:00:01.000002 1 solver.cpp:258]     Train net output #1: "odd,name" = 8
I0101 00:00:01.000003 1 sgd_solver.cpp:112] Iteration 2, lr = 9.98e-06
I0101 00:00:01.500000 1 solver.cpp:347] Iteration 3, Testing net (#0)
I0101 00:00:01.600000 1 solver.cpp:414]     Test net output #0: accuracy = 0.75
I0101 00:00:01.600001 1 solver.cpp:414]     Test net output #1: loss = 0.5 (* 1 = 0.5 loss)
I0101 00:00:01.700000 1 solver.cpp:239] Iteration 3 (1 iter/s, 1s/1 iters), loss = 0.25
I0101 00:00:01.700001 1 solver.cpp:258]     Train net output #0: loss = 0.25 (* 1 = 0.25 loss)
I0101 00:00:01.700002 1 solver.cpp:258]     Train net output #1: "odd,name" = 9
I0101 00:00:02.600001 1 solver.cpp:347] Iteration 4, Testing net (#0)
I0101 00:00:02.700000 1 solver.cpp:414]     Test net output #0: accuracy = 0.8125
I0101 00:00:02.700001 1 solver.cpp:414]     Test net output #1: loss = 1.25e-7 (* 1 = 0 loss)
`;

function compare(log: string): void {
  const d = tmpDir('caffets-parse-log-');
  const theirs = path.join(d, 'theirs');
  const ours = path.join(d, 'ours');
  fs.mkdirSync(theirs);
  fs.mkdirSync(ours);
  execFileSync(PY!.cmd, [PARSE_LOG, log, theirs], { env: PY!.env, stdio: 'pipe' });
  const written = saveParseLogCsvFiles(log, ours, parseLog(log))
    .map((f) => path.basename(f))
    .sort();
  expect(written).toEqual(fs.readdirSync(theirs).sort());
  expect(written.length).toBeGreaterThan(0);
  for (const f of written)
    expect(fs.readFileSync(path.join(ours, f)).equals(fs.readFileSync(path.join(theirs, f)))).toBe(true);
}

describeBvlc('parse_log.py byte-for-byte (optional dev check, needs ../bvlc and Python 2)', () => {
  it('agrees on a synthetic log (year end, exponents, quoting, nan)', () => {
    const log = path.join(tmpDir(), 'synthetic.log');
    fs.writeFileSync(log, SYNTHETIC);
    compare(log);
  });

  const logs = ['lenet-fmnist/caffe_train.log', 'lenet-fmnist/caffe_resume.log', 'alexnet-mini/caffe_train.log'];
  (HAVE_SHARED ? it.each(logs) : it.skip.each(logs))('agrees on the real Caffe log %s', (name) => {
    compare(sharedPath('fixtures/caffe-train', name));
  });

  it("formats floats as Python 2's repr() does", () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const xs: number[] = [];
    for (let i = 0; i < 3000; i++) xs.push((rand() - 0.3) * 10 ** Math.floor(rand() * 44 - 22));
    xs.push(0.1 + 0.2, 1e16, 1e15, 9999999999999998, 0.0001, 0.00009999, 5e-324, 1.7976931348623157e308);
    const script = 'import sys\nfor s in sys.stdin.read().split(): print(repr(float(s)))';
    const out = execFileSync(PY!.cmd, ['-c', script], {
      env: PY!.env,
      input: xs.map(String).join('\n'),
      encoding: 'utf8',
    });
    expect(xs.map(pyFloatRepr)).toEqual(out.trim().split('\n'));
  });
});
