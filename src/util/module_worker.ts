// Worker threads that run a module of this package (the data prefetcher's data_worker, the HDF5
// worker's hdf5_worker_main), under ts-jest and compiled alike.
//
// The Worker runs a small JavaScript bootstrap (eval: true) that requires the worker module next to
// its caller, x.js in dist/ or x.ts in src/, and calls its `workerMain(workerData)`. For a .ts module
// it first installs a require hook that compiles TypeScript with the `typescript` package's
// transpileModule (a devDependency, present whenever sources run uncompiled), caching the JavaScript
// by content hash under the temp folder. Tests thus exercise the current sources without a build,
// and the CLI the compiled worker, with no file copying and no ts-node.
//
// A module that cannot be loaded (or whose workerMain throws) is reported the way its caller's
// protocol reports a failed worker: a message on workerData.port and a state word in workerData.ctrl
// (see StartFailure).
import * as path from 'path';
import { MessagePort, Worker } from 'worker_threads';

const BOOTSTRAP = `
const { workerData } = require('worker_threads');
const ctrl = new Int32Array(workerData.ctrl);
try {
  const entry = workerData.boot.entry;
  if (entry.endsWith('.ts') && !require.extensions['.ts']) {
    // TypeScript sources: compile on require, caching the output by content hash in the temp folder
    // (loading the compiler costs most of a worker's start-up; with a warm cache it is skipped)
    const fs = require('fs'), path = require('path'), os = require('os'), crypto = require('crypto');
    const cacheDir = path.join(os.tmpdir(), 'caffets-worker-ts-cache');
    let ts = null;
    const compilerOptions = () => ({
      module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true,
    });
    require.extensions['.ts'] = (module, filename) => {
      const src = fs.readFileSync(filename, 'utf8');
      const key = crypto.createHash('sha1').update('v1\\0' + filename + '\\0' + src).digest('hex');
      const cached = path.join(cacheDir, key + '.js');
      let js = null;
      try { js = fs.readFileSync(cached, 'utf8'); } catch (_) {}
      if (js === null) {
        ts = ts || require(require.resolve('typescript', { paths: [path.dirname(entry)] }));
        js = ts.transpileModule(src, { compilerOptions: compilerOptions(), fileName: filename }).outputText;
        try {
          fs.mkdirSync(cacheDir, { recursive: true });
          const tmp = cached + '.' + process.pid + '.' + require('worker_threads').threadId;
          fs.writeFileSync(tmp, js);
          fs.renameSync(tmp, cached);
        } catch (_) {}
      }
      module._compile(js, filename);
    };
  }
  require(entry).workerMain(workerData);
} catch (e) {
  const f = workerData.boot.failure;
  const m = Object.assign({}, f.message);
  m.msg = m.msg + (e && e.stack || e);
  try { workerData.port.postMessage(m); } catch (_) {}
  Atomics.store(ctrl, f.stateWord, f.state);
  for (const w of f.notify) Atomics.notify(ctrl, w);
}
`;

/**
 * How the bootstrap reports a worker module that failed to load or start: it posts `message` on
 * workerData.port with the error's stack appended to its `msg`, stores `state` in control word
 * `stateWord`, then wakes the waiters on the control words `notify`.
 */
export interface StartFailure {
  message: { msg: string } & Record<string, unknown>;
  stateWord: number;
  state: number;
  notify: readonly number[];
}

/** What every module worker gets: Int32 control words and the port to its starter. */
export interface ModuleWorkerData {
  ctrl: SharedArrayBuffer;
  port: MessagePort;
}

/**
 * The worker module `name` in the folder of `callerFile` (the caller's __filename): name.ts when the
 * caller runs from TypeScript sources (ts-jest), name.js when compiled.
 */
export function moduleWorkerEntry(callerFile: string, name: string): string {
  return path.join(path.dirname(callerFile), `${name}${path.extname(callerFile) === '.ts' ? '.ts' : '.js'}`);
}

/**
 * Starts a worker thread running `entry`'s workerMain(workerData). workerData.port is transferred;
 * the worker also sees `boot` (the entry and `failure`) in its workerData.
 */
export function startModuleWorker<D extends ModuleWorkerData>(
  entry: string,
  workerData: D,
  failure: StartFailure,
): Worker {
  return new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { ...workerData, boot: { entry, failure } },
    transferList: [workerData.port],
    env: process.env, // this module's view of it (a test's changes too), not only the process's
  });
}
