// Robustness (issue 13): convert_imageset never replaces a database it did not create unless
// --overwrite; temporaries of killed processes are removed by the next run, never those of live ones;
// SIGINT/SIGTERM of convert_imageset leave no temp folder; one training per snapshot_prefix.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import * as lib from '../../src';
import { convertImageset } from '../../src/api/convert_imageset';
import { train } from '../../src/api/train';
import { writeFileAtomic } from '../../src/io/atomic';
import { acquirePidLock } from '../../src/io/lock';
import { setLogSink } from '../../src/util/logging';
import { ROOT, tmpDir } from '../helpers';
import { G, bodies, captureLogs } from '../solvers/solver_helpers';

const CLI = path.join(ROOT, 'bin', 'caffets');

/** The PID of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

/** A running process (for a live PID); killed after each test. */
let sleepers: ChildProcess[] = [];
const livePid = () => {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  sleepers.push(c);
  return c.pid!;
};
afterEach(() => {
  for (const c of sleepers) c.kill('SIGKILL');
  sleepers = [];
});

const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    c.on('exit', (code, signal) => resolve({ code, signal })),
  );

let d: string;
beforeAll(async () => {
  d = tmpDir('caffets-reliability-');
  await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } })
    .png()
    .toFile(path.join(d, 'a.png'));
  fs.writeFileSync(path.join(d, 'small.txt'), 'a.png 1\na.png 2\na.png 3\n');
  // long enough that a spawned run can be interrupted mid-way
  fs.writeFileSync(path.join(d, 'big.txt'), 'a.png 1\n'.repeat(40000));
  fs.writeFileSync(path.join(d, 'mid.txt'), 'a.png 1\n'.repeat(4000));
});
afterAll(() => fs.rmSync(d, { recursive: true, force: true }));

const list = (name: string) => path.join(d, name);
const tempsOf = (dir: string, base: string) => fs.readdirSync(dir).filter((f) => f.startsWith(`${base}.tmp-`));

/** Runs convertImageset with log lines captured; `onLine` sees each line. */
async function conv(db: string, listFile: string, onLine: (l: string) => void = () => undefined, overwrite = false) {
  const restore = setLogSink(onLine);
  try {
    return await convertImageset({ root: `${d}/`, listFile, db, progress: false, threads: 0, overwrite });
  } finally {
    restore();
  }
}

/** Spawns `caffets convert_imageset` (from dist/) to `db`. */
function spawnConvert(db: string, listName = 'big.txt') {
  const c = spawn(process.execPath, [CLI, 'convert_imageset', `${d}/`, list(listName), db], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  c.stderr!.on('data', (b) => (err += b));
  const done = exited(c);
  return { c, done, err: () => err };
}

/** Polls until `fn` is true (or fails the test after `ms`). */
async function until(fn: () => boolean, ms = 20000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('convert_imageset never replaces a database without --overwrite', () => {
  it('a folder created at DB_NAME during the run survives, and the run fails', async () => {
    const db = path.join(d, 'midrun_lmdb');
    const run = conv(db, list('small.txt'), (l) => {
      if (/A total of \d+ images\./.test(l)) {
        fs.mkdirSync(db);
        fs.writeFileSync(path.join(db, 'precious'), 'mine');
      }
    });
    await expect(run).rejects.toThrow(`${db} already exists`);
    expect(fs.readdirSync(db)).toEqual(['precious']);
    expect(tempsOf(d, 'midrun_lmdb')).toEqual([]);
  });

  it('an empty folder created at DB_NAME during the run is not replaced either', async () => {
    const db = path.join(d, 'midrun_empty_lmdb');
    const run = conv(db, list('small.txt'), (l) => {
      if (/A total of \d+ images\./.test(l)) fs.mkdirSync(db);
    });
    await expect(run).rejects.toThrow(`${db} already exists`);
    expect(fs.readdirSync(db)).toEqual([]);
  });

  it('two concurrent runs in one process: exactly one succeeds, the other refuses', async () => {
    const db = path.join(d, 'twin_lmdb');
    const one = () => convertImageset({ root: `${d}/`, listFile: list('small.txt'), db, progress: false, threads: 0 });
    const { result: r } = await captureLogs(() => Promise.allSettled([one(), one()]));
    expect(r.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = r.find((x) => x.status === 'rejected') as PromiseRejectedResult;
    expect(String(failed.reason.message)).toContain(`${db} already exists`);
    expect(tempsOf(d, 'twin_lmdb')).toEqual([]);
  });

  it('two concurrent CLI runs: exactly one exits 0, the other exits non-zero with one line', async () => {
    const db = path.join(d, 'twin_cli_lmdb');
    // long enough that both are past the check at start before either ends
    const runs = [spawnConvert(db, 'mid.txt'), spawnConvert(db, 'mid.txt')];
    const results = await Promise.all(runs.map((r) => r.done));
    expect(results.map((x) => x.code === 0).sort()).toEqual([false, true]);
    const loser = runs[results.findIndex((x) => x.code !== 0)];
    const lines = loser.err().split('\n');
    expect(lines.filter((l) => l.startsWith('caffets:'))).toEqual([
      expect.stringMatching(/^caffets: .*twin_cli_lmdb already exists/),
    ]);
    expect(tempsOf(d, 'twin_cli_lmdb')).toEqual([]);
  });
});

describe('temporaries of interrupted runs', () => {
  it("the next atomic write into a folder removes dead processes' temp files, not live ones'", () => {
    const dir = tmpDir();
    const dead = `.m_iter_10.caffemodel.${deadPid()}.lxyz12.tmp`,
      live = `.m_iter_20.caffemodel.${livePid()}.lxyz12.tmp`;
    fs.writeFileSync(path.join(dir, dead), 'half');
    fs.writeFileSync(path.join(dir, live), 'half');
    writeFileAtomic(path.join(dir, 'm_iter_30.caffemodel'), 'whole');
    expect(fs.readdirSync(dir).sort()).toEqual([live, 'm_iter_30.caffemodel']);
  });

  it("the next convert_imageset to DB_NAME removes dead processes' temp folders, not live ones'", async () => {
    const db = path.join(d, 'stale_lmdb');
    const dead = `stale_lmdb.tmp-${deadPid()}`,
      live = `stale_lmdb.tmp-${livePid()}-1`,
      other = `other_lmdb.tmp-${deadPid()}`;
    for (const f of [dead, live, other]) {
      fs.mkdirSync(path.join(d, f));
      fs.writeFileSync(path.join(d, f, 'data.mdb'), 'half');
    }
    const lines: string[] = [];
    await conv(db, list('small.txt'), (l) => lines.push(l));
    expect(tempsOf(d, 'stale_lmdb')).toEqual([live]);
    expect(fs.existsSync(path.join(d, other))).toBe(true);
    expect(lines.some((l) => l.includes(`Removing ${path.join(d, dead)}, left by process`))).toBe(true);
    fs.rmSync(path.join(d, other), { recursive: true });
  });

  it('kill -9 of a convert_imageset mid-run, then a rerun: no temporary left behind', async () => {
    const db = path.join(d, 'killed_lmdb');
    const run = spawnConvert(db);
    await until(() => tempsOf(d, 'killed_lmdb').length > 0);
    run.c.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(tempsOf(d, 'killed_lmdb')).toHaveLength(1); // what the issue is about
    expect(fs.existsSync(db)).toBe(false);
    await conv(db, list('small.txt'));
    expect(tempsOf(d, 'killed_lmdb')).toEqual([]);
    expect(fs.existsSync(db)).toBe(true);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s of convert_imageset removes its temp folder', async (sig) => {
    const base = `sig_${sig}_lmdb`;
    const db = path.join(d, base);
    const run = spawnConvert(db);
    await until(() => tempsOf(d, base).length > 0 && /A total of/.test(run.err()));
    run.c.kill(sig);
    expect((await run.done).signal).toBe(sig);
    expect(tempsOf(d, base)).toEqual([]);
    expect(fs.existsSync(db)).toBe(false);
  });
});

describe('one training per snapshot_prefix', () => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir('caffets-lock-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const setup = () => G.writeCase(lib, 'SGD', dir, 'snap', 'solver', 4);

  it('refuses, in one line naming its PID, a prefix that a live process holds (exit non-zero)', () => {
    const solver = setup();
    const pid = livePid();
    fs.writeFileSync(path.join(dir, 'snap.lock'), `${pid}\n`);
    const r = spawnSync(process.execPath, [CLI, 'train', `--solver=${solver}`], { cwd: dir, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('caffets:'))).toEqual([
      expect.stringMatching(new RegExp(`^caffets: snapshot prefix '.*snap' is in use by process ${pid} \\(lock`)),
    ]);
    expect(fs.readFileSync(path.join(dir, 'snap.lock'), 'utf8')).toBe(`${pid}\n`);
    expect(fs.readdirSync(dir).filter((f) => f.includes('_iter_'))).toEqual([]);
  });

  it('takes over the lock of a dead process (with a log line), trains, and removes the lock', async () => {
    const solver = setup();
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, 'snap.lock'), `${pid}\n`);
    const { lines, result } = await captureLogs(() => train({ solver, progress: false }));
    expect(result).toBe(0);
    expect(bodies(lines)).toContain(
      `Taking over the lock ${path.join(dir, 'snap.lock')} of process ${pid} (no longer running)`,
    );
    expect(fs.existsSync(path.join(dir, 'snap_iter_4.caffemodel'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'snap.lock'))).toBe(false);
  });

  it('holds the lock while training and releases it at the end', async () => {
    const solver = setup();
    let seen = '';
    const { result } = await captureLogs(() => {
      const p = train({ solver, progress: false });
      seen = fs.readFileSync(path.join(dir, 'snap.lock'), 'utf8');
      return p;
    });
    expect(result).toBe(0);
    expect(seen).toBe(`${process.pid}\n`);
    expect(fs.existsSync(path.join(dir, 'snap.lock'))).toBe(false);
    const again = acquirePidLock(path.join(dir, 'snap.lock'), 'x');
    expect(() => acquirePidLock(path.join(dir, 'snap.lock'), 'x')).toThrow(/x is in use by process \d+/);
    again.release();
  });
});

describe('real processes: kill -9 mid-snapshot, and two trainings on one prefix', () => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir('caffets-snapkill-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A net whose snapshot (a 4096x4096 InnerProduct: 64 MB) takes long enough to be caught mid-write. */
  const writeSolver = (maxIter: number) => {
    const net = `layer { name: "d" type: "DummyData" top: "x" top: "y"
  dummy_data_param { shape { dim: 1 dim: 4096 } shape { dim: 1 dim: 4096 }
    data_filler { type: "constant" value: 0.01 } data_filler { type: "constant" value: 0.02 } } }
layer { name: "ip" type: "InnerProduct" bottom: "x" top: "z"
  inner_product_param { num_output: 4096 weight_filler { type: "constant" value: 0.001 } } }
layer { name: "loss" type: "EuclideanLoss" bottom: "z" bottom: "y" top: "loss" }
`;
    fs.writeFileSync(path.join(dir, 'net.prototxt'), net);
    const solver = path.join(dir, `solver_${maxIter}.prototxt`);
    fs.writeFileSync(
      solver,
      `net: "net.prototxt"\nbase_lr: 0.0001\nlr_policy: "fixed"\nmax_iter: ${maxIter}\nsnapshot: 1\n` +
        `snapshot_prefix: "big"\nsolver_mode: CPU\ndisplay: 1\n`,
    );
    return solver;
  };
  const temps = () => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  const spawnTrain = (solver: string) => {
    const c = spawn(process.execPath, [CLI, 'train', `--solver=${solver}`], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr!.on('data', (b) => (err += b));
    return { c, done: exited(c), err: () => err };
  };

  it('kill -9 while a snapshot is being written, then a rerun: no temporary left, last snapshot good', async () => {
    const run = spawnTrain(writeSolver(1000));
    await until(() => temps().length > 0 && fs.existsSync(path.join(dir, 'big_iter_1.solverstate')), 120000);
    run.c.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(temps().length).toBeGreaterThan(0); // the leftovers the issue is about
    const solver = writeSolver(1);
    const r = spawnSync(process.execPath, [CLI, 'train', `--solver=${solver}`], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(temps()).toEqual([]);
    // every complete snapshot left behind loads
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.caffemodel')))
      expect(lib.readNetParamsFromBinaryFile(path.join(dir, f)).layer!.length).toBeGreaterThan(0);
  }, 240000);

  it('a second `caffets train` on the prefix of a running one refuses in one line; the first is unharmed', async () => {
    const first = spawnTrain(writeSolver(3));
    await until(() => fs.existsSync(path.join(dir, 'big.lock')), 60000);
    const r = spawnSync(process.execPath, [CLI, 'train', `--solver=${path.join(dir, 'solver_3.prototxt')}`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n').slice(-1)[0]).toMatch(
      new RegExp(`^caffets: snapshot prefix '.*big' is in use by process ${first.c.pid} \\(lock`),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await first.done).code).toBe(0);
    expect(first.err()).toMatch(/Optimization Done/);
    expect(fs.existsSync(path.join(dir, 'big_iter_3.caffemodel'))).toBe(true);
  }, 240000);
});
