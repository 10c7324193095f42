// `caffets demo` end to end, small: the whole workflow runs, and the solver it writes is logged
// once, field for field (each field of the file printed exactly once).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';

const BIN = path.join(__dirname, '../../bin/caffets');

test('demo: writes, converts, trains and classifies; the solver is logged once', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-demo-'));
  try {
    const r = spawnSync(
      process.execPath,
      [BIN, 'demo', `--dir=${dir}`, '--iterations=4', '--train_per_class=10', '--test_per_class=10'],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toMatch(/Trained weights: .*lenet_iter_4\.caffemodel/);
    const log = r.stderr;
    const start = log.indexOf('Initializing solver from parameters:');
    expect(start).toBeGreaterThan(0);
    const printed = log.slice(start).split('\n').slice(1);
    const solver = printed.slice(
      0,
      printed.findIndex((l) => /^[IWEF]\d{4} /.test(l)),
    );
    const file = fs.readFileSync(path.join(dir, 'lenet_solver.prototxt'), 'utf8');
    for (const line of file.split('\n').filter(Boolean)) {
      expect(solver.filter((l) => l === line)).toHaveLength(1);
    }
    expect(solver.filter((l) => l.startsWith('weight_decay'))).toEqual(['weight_decay: 0.0005']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
