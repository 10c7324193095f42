// Seeded fuzzing of the prototxt paths: mutants of every prototxt in ../shared/fixtures (train/test
// nets, deploy nets, V1 nets, solvers; fuzz_mutants.ts) go through the upgrade tools, `caffets time`
// (phase TRAIN or TEST) and, for solvers, 2 training iterations.
// Each must succeed or be refused in one line (a CaffeError, which the CLI prints as its one line):
// never another exception, a crash, a signal or a hang. Most run in-process in a child (fuzz_driver.js,
// the compiled library, many mutants per process); a few through real `bin/caffets` spawns.
// Needs `npm run build`. A failure prints the seed, the mutant's number and operations, and keeps the
// mutant's file for replay: CAFFETS_FUZZ_SEED=<seed> CAFFETS_FUZZ_ONLY=<n> reruns that one mutant, and
// CAFFETS_FUZZ_COUNT=<n> runs more than the 300 of CI (other seeds found the bugs fixed so far).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, SHARED, describeShared, findFiles, tmpDir } from '../helpers';
import { Prng, mutate, shrinkBatch, vocabulary } from './fuzz_mutants';
import { layerTypeList } from '../../src/core/layer_factory';
import '../../src/layers';

const SEED = Number(process.env.CAFFETS_FUZZ_SEED ?? 20261207);
const ONLY = process.env.CAFFETS_FUZZ_ONLY === undefined ? null : Number(process.env.CAFFETS_FUZZ_ONLY);
const IN_PROCESS = Number(process.env.CAFFETS_FUZZ_COUNT ?? 300); // mutants run by fuzz_driver.js
const SPAWNED = 16; // mutants run through bin/caffets (upgrade, and time for nets)
const BATCH = 30; // mutants per driver process
const FAILURES = path.join(os.tmpdir(), 'caffets-fuzz-failures');
/** memory the children assume: a mutant that would need more is refused before allocating it */
const ENV = { ...process.env, CAFFETS_MEMORY_AVAILABLE_BYTES: String(2 * 2 ** 30), GLOG_minloglevel: '2' };

interface Mutant {
  id: number;
  kind: 'net' | 'solver';
  phase: 'TRAIN' | 'TEST';
  from: string;
  ops: string[];
  file: string;
  cwd: string;
}

/** The prototxts of ../shared/fixtures, with a working copy of the data folders their nets read. */
function seeds(work: string): { file: string; text: string; kind: 'net' | 'solver'; cwd: string }[] {
  const fixtures = path.join(SHARED, 'fixtures');
  return findFiles(fixtures, /\.prototxt$/).map((file) => {
    const dir = path.dirname(file);
    const cwd = path.join(work, 'data', path.relative(fixtures, dir));
    if (!fs.existsSync(cwd)) {
      fs.mkdirSync(cwd, { recursive: true });
      // the LMDBs, mean files and nets a train net or solver names, copied: a mutant may write there
      for (const e of fs.readdirSync(dir)) {
        const from = path.join(dir, e);
        if (/\.prototxt$/.test(e)) fs.writeFileSync(path.join(cwd, e), shrinkBatch(fs.readFileSync(from, 'utf8')));
        else if (/_lmdb$|\.binaryproto$/.test(e)) fs.cpSync(from, path.join(cwd, e), { recursive: true });
      }
    }
    const kind = /solver/.test(path.basename(file)) ? 'solver' : 'net';
    return { file: path.relative(fixtures, file), text: shrinkBatch(fs.readFileSync(file, 'utf8')), kind, cwd };
  });
}

/** Mutant `id` of the seed set: drawn by its own PRNG, so that one mutant can be replayed alone. */
function makeMutants(work: string, ids: number[]): Mutant[] {
  const all = seeds(work);
  const vocab = vocabulary(
    all.map((s) => s.text),
    layerTypeList(),
  );
  fs.mkdirSync(path.join(work, 'mutants'), { recursive: true });
  return ids.map((id) => {
    const r = new Prng((SEED * 7919 + id) | 0);
    const s = r.pick(all);
    const m = mutate(s.text, r, vocab);
    const file = path.join(work, 'mutants', `${id}.prototxt`);
    fs.writeFileSync(file, m.text);
    const phase = r.next() < 0.5 ? 'TRAIN' : 'TEST';
    return { id, kind: s.kind, phase, from: s.file, ops: m.ops, file, cwd: s.cwd };
  });
}

/** How to replay a failing mutant, with its file kept in FAILURES. */
function describeFailure(m: Mutant, what: string): string {
  fs.mkdirSync(FAILURES, { recursive: true });
  const kept = path.join(FAILURES, `seed-${SEED}-mutant-${m.id}.prototxt`);
  fs.copyFileSync(m.file, kept);
  const text = fs.readFileSync(m.file, 'utf8');
  return (
    `seed ${SEED} mutant ${m.id} (of ${m.from}, ${m.phase}: ${m.ops.join('; ')}), kept as ${kept}; replay with ` +
    `CAFFETS_FUZZ_SEED=${SEED} CAFFETS_FUZZ_ONLY=${m.id}\n  ${what.split('\n').join('\n  ')}\n` +
    `  mutant (${text.length} characters): ${JSON.stringify(text.slice(0, 600))}`
  );
}

/** Runs `mutants` through fuzz_driver.js, a batch per process; a job that hangs or crashes is a failure. */
function runInProcess(mutants: Mutant[]): { failures: string[]; outcomes: Record<string, number> } {
  const failures: string[] = [];
  const outcomes: Record<string, number> = { ok: 0, refused: 0, bug: 0, crash: 0 };
  const byId = new Map(mutants.map((m) => [m.id, m]));
  let pending = mutants.slice();
  while (pending.length) {
    const batch = pending.slice(0, BATCH);
    const jobs = path.join(path.dirname(batch[0].file), `jobs-${batch[0].id}.json`);
    fs.writeFileSync(
      jobs,
      JSON.stringify(batch.map(({ id, kind, phase, file, cwd }) => ({ id, kind, phase, file, cwd }))),
    );
    const r = spawnSync(process.execPath, [path.join(__dirname, 'fuzz_driver.js'), jobs], {
      encoding: 'utf8',
      timeout: 30000 + 2000 * batch.length,
      env: ENV,
      maxBuffer: 64 * 2 ** 20,
    });
    const done = new Set<number>();
    let started = -1;
    for (const line of (r.stdout ?? '').split('\n')) {
      const start = /^START (\d+)$/.exec(line);
      if (start) started = Number(start[1]);
      const d = /^DONE (-?\d+) (.*)$/.exec(line);
      if (!d) continue;
      const id = Number(d[1]);
      const { outcome, message } = JSON.parse(d[2]) as { outcome: string; message: string };
      done.add(id);
      outcomes[outcome]++;
      if (outcome === 'bug') failures.push(describeFailure(byId.get(id) ?? byId.get(started)!, message));
    }
    const rest = batch.filter((m) => !done.has(m.id));
    if (rest.length && started >= 0 && !done.has(started)) {
      // the driver died or hung in this job
      outcomes.crash++;
      const how = r.error ? `hung (${r.error.message})` : `driver ended: status ${r.status}, signal ${r.signal}`;
      failures.push(describeFailure(byId.get(started)!, `${how}\n${(r.stderr ?? '').slice(-2000)}`));
      done.add(started);
    } else if (rest.length) {
      throw new Error(`fuzz driver failed to start: ${r.error?.message ?? ''} ${r.stderr}`);
    }
    pending = pending.slice(batch.length).concat(rest.filter((m) => !done.has(m.id)));
  }
  return { failures, outcomes };
}

/**
 * `bin/caffets <args>` on a mutant: exit 0, or exit 1 whose stderr ends in its one `caffets: ...` line
 * (or, for the upgrade tools, Caffe's "Encountered error(s)" line); no stack, no signal, no hang.
 */
function spawnFailure(m: Mutant, args: string[]): string | null {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], {
    encoding: 'utf8',
    cwd: m.cwd,
    timeout: 60000,
    env: ENV,
  });
  const err = r.stderr ?? '';
  const lines = err.trimEnd().split('\n');
  const ownLines = lines.filter((l) => l.startsWith('caffets:'));
  const upgradeFailed = args[0].startsWith('upgrade') && /Encountered error\(s\) while upgrading/.test(err);
  let bad: string | null = null;
  if (r.error || r.signal) bad = `signal ${r.signal} ${r.error?.message ?? ''}`;
  else if (/internal error|\n\s+at \S+.*:\d+:\d+/.test(err)) bad = 'a stack trace';
  else if (r.status !== 0 && r.status !== 1) bad = `exit status ${r.status}`;
  else if (r.status === 1 && !upgradeFailed && !(ownLines.length === 1 && ownLines[0] === lines[lines.length - 1]))
    bad = `${ownLines.length} caffets: lines, the last line being ${JSON.stringify(lines[lines.length - 1])}`;
  return bad && `caffets ${args.join(' ')}: ${bad}\n${err.slice(-2000)}`;
}

/** The mutants the fuzzer found failing (minimized, fuzz_corpus/), run first in the LeNet data folder. */
function corpus(work: string): Mutant[] {
  seeds(work); // the data folders
  const cwd = path.join(work, 'data', 'caffe-train', 'lenet-fmnist');
  const image = path.join(SHARED, 'fixtures/datasets/fmnist-1200/img/00000.png');
  fs.writeFileSync(path.join(cwd, 'images.txt'), `${image} 0\n${image} 1\n`);
  fs.mkdirSync(path.join(work, 'corpus'), { recursive: true });
  return findFiles(path.join(__dirname, 'fuzz_corpus'), /\.prototxt$/).map((from, k) => {
    const file = path.join(work, 'corpus', path.basename(from));
    fs.copyFileSync(from, file);
    return { id: 1000000 + k, kind: 'net', phase: 'TRAIN', from: path.basename(from), ops: ['corpus'], file, cwd };
  });
}

describeShared('fuzzed prototxts', () => {
  const work = tmpDir('caffets-fuzz-');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  it('the corpus of what the fuzzer found (fuzz_corpus/): success or one line', () => {
    if (ONLY !== null) return;
    const { failures, outcomes } = runInProcess(corpus(work));
    expect(failures).toEqual([]);
    expect(outcomes.refused + outcomes.ok).toBe(findFiles(path.join(__dirname, 'fuzz_corpus'), /\.prototxt$/).length);
  });

  it(`${IN_PROCESS} mutants (seed ${SEED}) through the upgrade and time paths: success or one line`, () => {
    const mutants = makeMutants(work, ONLY === null ? range(0, IN_PROCESS) : [ONLY]);
    const { failures, outcomes } = runInProcess(mutants);
    console.log(`fuzz seed ${SEED}: ${JSON.stringify(outcomes)}`);
    expect(failures).toEqual([]);
    // the mutants reach past the parser: some are refused, and some nets still run
    if (ONLY === null) expect(outcomes.ok).toBeGreaterThan(10);
    if (ONLY === null) expect(outcomes.refused).toBeGreaterThan(100);
  }, 400000);

  it(`${SPAWNED} mutants through bin/caffets: exit 0, or exit 1 with one line`, () => {
    if (ONLY !== null) return;
    const mutants = makeMutants(work, range(IN_PROCESS, SPAWNED));
    const failures: string[] = [];
    for (const m of mutants) {
      const out = path.join(work, `out-${m.id}.prototxt`);
      const runs =
        m.kind === 'net'
          ? [
              ['upgrade_net_proto_text', m.file, out],
              ['time', `--model=${m.file}`, '--iterations=1', `--phase=${m.phase}`],
            ]
          : [['upgrade_solver_proto_text', m.file, out]]; // (training a mutant may take long, rightly)
      for (const args of runs) {
        const f = spawnFailure(m, args);
        if (f) failures.push(describeFailure(m, f));
      }
    }
    expect(failures).toEqual([]);
  }, 400000);
});
