// snapshot_format: HDF5, as Caffe lays it out: the weights (Net::ToHDF5: group `data`, a subgroup per
// layer named as the layer, datasets "0", "1", ... per owned param blob with the blob's shape, float32;
// a `diff` group likewise when snapshot_diff), and the solver state (SnapshotSolverStateToHDF5: int
// datasets `iter` and `current_step` of shape [1], the string `learned_net`, group `history` with
// datasets "0".."k"). Files are written under a temporary name in the same directory and renamed into
// place, so a crash never leaves a half-written snapshot.
import * as fs from 'fs';
import * as path from 'path';
import type { Blob } from '../core/blob';
import { atomicTempName, removeStaleTemps } from '../io/atomic';
import { Hdf5Node, Hdf5Tree, Hdf5TreeEntry, readHdf5Tree, writeHdf5Tree } from '../io/hdf5';
import { Hdf5Failure } from '../io/hdf5_worker';
import type { Net } from '../net';
import { loadHdf5Blob } from '../net/net_params';
import { CaffeError, errnoText } from '../util/errors';
import { checkFailed, checkOp } from '../util/check';

/** Writes an HDF5 file atomically: a temp file beside it, fsync'ed, then renamed over `file`. */
export function writeHdf5Atomic(file: string, entries: readonly Hdf5TreeEntry[], what: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new CaffeError(`${file}: cannot write: directory ${dir} does not exist`);
  removeStaleTemps(dir);
  const tmp = atomicTempName(file);
  try {
    writeHdf5Tree(tmp, entries);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if (e instanceof Hdf5Failure) {
      if (e.code === 'open') checkFailed(null, 'file_hid >= 0 (-1 vs. 0)', `Couldn't open ${file} to save ${what}.`);
      throw new CaffeError(`Error saving ${what} to ${file}: ${e.message}`);
    }
    const err = e as NodeJS.ErrnoException;
    throw err.code ? new CaffeError(`${file}: cannot write: ${errnoText(err)}`) : err;
  }
}

const f32copy = (a: Float32Array) => Float32Array.from(a);

/** Caffe's Net::ToHDF5: the entries of a .caffemodel.h5. */
export function netToHdf5Entries(net: Net, writeDiff: boolean): Hdf5TreeEntry[] {
  const entries: Hdf5TreeEntry[] = [{ path: '/data', group: true }];
  if (writeDiff) entries.push({ path: '/diff', group: true });
  net.layers.forEach((layer, layerId) => {
    const name: string = layer.layerParam.name ?? '';
    entries.push({ path: `/data/${name}`, group: true });
    if (writeDiff) entries.push({ path: `/diff/${name}`, group: true });
    layer.blobs.forEach((_, paramId) => {
      const netParamId = net.paramIdVecs[layerId][paramId];
      const blob: Blob = net.params[netParamId];
      // only params that own themselves are saved; diffs regardless of weight sharing
      if (net.paramOwners[netParamId] === -1)
        entries.push({ path: `/data/${name}/${paramId}`, shape: [...blob.shape], data: f32copy(blob.cpuData()) });
      if (writeDiff)
        entries.push({ path: `/diff/${name}/${paramId}`, shape: [...blob.shape], data: f32copy(blob.cpuDiff()) });
    });
  });
  return entries;
}

/** Writes `net` as Caffe's HDF5 weights file (atomically). */
export function writeNetToHdf5(net: Net, file: string, writeDiff: boolean): void {
  writeHdf5Atomic(file, netToHdf5Entries(net, writeDiff), 'weights');
}

/** Writes SnapshotSolverStateToHDF5's file (atomically). */
export function writeSolverStateHdf5(
  file: string,
  iter: number,
  learnedNet: string,
  currentStep: number,
  history: readonly Blob[],
): void {
  const entries: Hdf5TreeEntry[] = [
    { path: '/iter', shape: [1], data: Int32Array.of(iter) },
    { path: '/learned_net', string: learnedNet },
    { path: '/current_step', shape: [1], data: Int32Array.of(currentStep) },
    { path: '/history', group: true },
  ];
  history.forEach((h, i) => entries.push({ path: `/history/${i}`, shape: [...h.shape], data: f32copy(h.cpuData()) }));
  writeHdf5Atomic(file, entries, 'solver state');
}

/** What RestoreSolverStateFromHDF5 reads. */
export interface Hdf5SolverState {
  iter: number;
  learnedNet?: string;
  currentStep: number;
  tree: Hdf5Tree;
}

/** hdf5_load_int: the first value of an integer (or float) dataset, as H5LTread_dataset_int. */
function loadInt(tree: Hdf5Tree, name: string): number {
  const n: Hdf5Node | undefined = tree[`/${name}`];
  if (!n || n.kind !== 'dataset' || !n.data || n.data.length < 1) {
    checkFailed(null, 'status >= 0 (-1 vs. 0)', `Failed to load int dataset with name ${name}`);
  }
  return Math.trunc(n.data[0]);
}

/** Reads a .solverstate.h5: iter, learned_net (if present), current_step. */
export function readSolverStateHdf5(stateFile: string): Hdf5SolverState {
  let tree: Hdf5Tree;
  try {
    tree = readHdf5Tree(stateFile);
  } catch (e) {
    if (e instanceof Hdf5Failure && e.code === 'open') {
      checkFailed(null, 'file_hid >= 0 (-1 vs. 0)', `Couldn't open solver state file ${stateFile}`);
    }
    throw e;
  }
  const iter = loadInt(tree, 'iter');
  let learnedNet: string | undefined;
  const ln = tree['/learned_net'];
  if (ln?.kind === 'dataset') {
    if (ln.string === undefined) {
      checkFailed(null, 'status >= 0 (-1 vs. 0)', 'Failed to load int dataset with name learned_net');
    }
    learnedNet = ln.string;
  }
  return { iter, learnedNet, currentStep: loadInt(tree, 'current_step'), tree };
}

/** Fills `history` from the state's `history` group (count and shapes checked as Caffe does). */
export function restoreHistoryHdf5(state: Hdf5SolverState, stateFile: string, history: readonly Blob[]): void {
  const group = state.tree['/history'];
  if (!group || group.kind !== 'group') {
    checkFailed(null, 'history_hid >= 0 (-1 vs. 0)', `Error reading history from ${stateFile}`);
  }
  checkOp(
    null,
    group.keys!.length,
    '==',
    history.length,
    'state_history_size == history_.size()',
    'Incorrect length of history blobs.',
  );
  history.forEach((h, i) => loadHdf5Blob(state.tree, `/history/${i}`, String(i), h));
}
