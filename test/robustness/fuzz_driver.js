// The fuzz test's in-process runner: `node fuzz_driver.js JOBS.json` runs each job of the list through
// the compiled library (dist/, as bin/caffets does) and prints one line per job to stdout:
//   START <id>                           before the job (a job that hangs or crashes is the last one started)
//   DONE <id> <json {outcome, message}>  outcome: ok, refused (one-line CaffeError), or bug (anything else)
// A net job runs what `caffets upgrade_net_proto_text IN OUT` runs, then what `caffets time --model=IN
// --iterations=1 --phase=P` runs (in the job's folder, where its data sources are); a solver job runs
// what `caffets upgrade_solver_proto_text` runs, then trains 2 iterations of it, as `caffets train`.
'use strict';
const fs = require('fs');
const path = require('path');
const lib = require('../../dist');

lib.setLogSink(() => undefined);
let current = null; // the job running, for errors that escape it (a worker's, a stray promise's)

function report(id, outcome, message) {
  process.stdout.write(`DONE ${id} ${JSON.stringify({ outcome, message })}\n`);
}

/** ok, refused (a CaffeError of one line, what the CLI prints as its one line), or bug. */
function classify(e) {
  if (e instanceof lib.CaffeError && !e.message.includes('\n')) return ['refused', e.message];
  return ['bug', (e && e.stack) || String(e)];
}

async function run(step) {
  try {
    await step();
    return null;
  } catch (e) {
    return classify(e);
  }
}

/** In the job's folder (where the data sources and the solver's net are), restoring the folder after. */
async function inFolder(job, f) {
  process.chdir(job.cwd);
  try {
    await f();
  } finally {
    process.chdir(__dirname);
  }
}

/**
 * `caffets train` on a solver cut to 2 iterations of at most 2 batches, testing at most 2 batches (test
 * phases and the snapshot after training included): a mutant asking for 100000 is slow, not wrong.
 */
async function train(file) {
  const param = lib.readSolverParamsFromTextFile(file);
  const cut = (n) => Math.min(Number(n), 2);
  param.max_iter = cut(param.max_iter ?? 0);
  if (param.iter_size !== undefined) param.iter_size = cut(param.iter_size);
  if (param.test_iter) param.test_iter = param.test_iter.map(cut);
  const solver = lib.createSolver(param);
  try {
    await solver.solve();
  } finally {
    solver.net.dispose();
    for (const t of solver.testNets) t.dispose();
  }
}

async function runJob(job) {
  const out = path.join(path.dirname(job.file), `out-${job.id}.prototxt`);
  const results = [];
  if (job.kind === 'net') {
    results.push(await run(() => lib.upgradeNetProtoText(job.file, out)));
    results.push(
      await run(() => inFolder(job, () => lib.timeModel({ model: job.file, iterations: 1, phase: job.phase }))),
    );
  } else {
    results.push(await run(() => lib.upgradeSolverProtoText(job.file, out)));
    results.push(await run(() => inFolder(job, () => train(job.file))));
  }
  fs.rmSync(out, { force: true });
  const bug = results.find((r) => r && r[0] === 'bug');
  const refused = results.filter((r) => r && r[0] === 'refused').map((r) => r[1]);
  if (bug) report(job.id, 'bug', bug[1]);
  else if (refused.length) report(job.id, 'refused', refused.join(' | '));
  else report(job.id, 'ok', '');
}

for (const ev of ['uncaughtException', 'unhandledRejection']) {
  process.on(ev, (e) => {
    report(current ?? -1, 'bug', `${ev}: ${(e && e.stack) || String(e)}`);
    process.exit(3);
  });
}

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const job of jobs) {
    current = job.id;
    process.stdout.write(`START ${job.id}\n`);
    await runJob(job);
    await new Promise((resolve) => setImmediate(resolve)); // let a job's stray async errors surface as its own
  }
  current = null;
}

main();
