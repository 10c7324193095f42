// The HDF5 worker thread's code (hdf5_worker.ts starts it): plain JavaScript held in a string, so it
// runs the same under ts-jest and from dist/. It loads h5wasm with a native dynamic import() and
// answers one request at a time on its MessagePort: 'read' / 'list' (root-group datasets), 'create' /
// 'write' / 'close' (a file written dataset by dataset), 'writeTree' / 'readTree' (whole files with
// groups). After each answer it stores the request's number in ctrl[CTRL_DONE] and notifies.

/** ctrl words: [0] the last answered request, [1] worker state (0 running, 1 failed, 2 exited) */
export const CTRL_DONE = 0;
export const CTRL_STATE = 1;

export const WORKER_SOURCE = String.raw`
const { workerData } = require('worker_threads');
const fs = require('fs');
const ctrl = new Int32Array(workerData.ctrl);
const port = workerData.port;
const finish = (seq) => { Atomics.store(ctrl, 0, seq); Atomics.notify(ctrl, 0); };
const dead = (state, msg) => {
  try { port.postMessage({ seq: -1, ok: false, code: 'io', msg }); } catch (_) {}
  Atomics.store(ctrl, 1, state);
  Atomics.notify(ctrl, 0);
};
process.on('uncaughtException', (e) => dead(1, 'the HDF5 worker failed: ' + (e && e.stack || e)));
process.on('exit', () => { if (Atomics.load(ctrl, 1) === 0) dead(2, 'the HDF5 worker has exited'); });

let lib = null, libError = null;
const loading = (async () => {
  try {
    const h5 = await import(workerData.url);
    await h5.ready;
    h5.Module.activate_throwing_error_handler(); // library errors become exceptions, not stderr dumps
    const classes = {};
    for (const [name, v] of Object.entries(h5.Module.H5T_class_t)) if (v && typeof v.value === 'number') classes[v.value] = name;
    lib = { h5, classes };
  } catch (e) {
    libError = 'HDF5 support needs the npm package h5wasm, which failed to load from ' + workerData.url + ': ' + (e && e.message || e);
  }
})();

class Fail extends Error { constructor(code, msg, extra) { super(msg); this.code = code; Object.assign(this, extra || {}); } }

/** The innermost cause of an HDF5 error stack ("bad object header version number"). */
function why(e) {
  const text = String(e && e.message || e);
  const lines = text.split('\n').filter((l) => /^\s*#\d+:/.test(l));
  const last = lines.length ? lines[lines.length - 1] : text.split('\n')[0];
  const m = /in [A-Za-z0-9_]+\(\): (.*)$/.exec(last);
  return (m ? m[1] : last).trim();
}

function openFile(file, mode) {
  if (mode === 'r' && !fs.existsSync(file)) throw new Fail('open', 'no such file');
  try {
    return mode === 'r' ? new lib.h5.File(file, 'r') : new lib.h5.File(file, 'w', { libver: ['earliest', 'v110'] });
  } catch (e) {
    throw new Fail('open', why(e));
  }
}

/** A root-group dataset (H5LTfind_dataset looks at the root group's links only), or null. */
function rootDataset(f, name) {
  if (!name || name.includes('/')) return null;
  if (!f.keys().includes(name)) return null;
  const d = f.get(name);
  return d instanceof lib.h5.Dataset ? d : null;
}

function toFloat(v, Out) {
  const out = new Out(v.length);
  if (typeof v[0] === 'bigint') for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  else out.set(v);
  return out;
}

const handles = new Map();
let nextHandle = 1;

function handle(req, transfer) {
  switch (req.op) {
    case 'read': {
      const f = openFile(req.file, 'r');
      const arrays = [];
      let fail = null;
      try {
        for (const name of req.names) {
          const d = rootDataset(f, name);
          if (!d) { fail = { code: 'missing', dataset: name, msg: 'no dataset ' + name }; break; }
          const md = d.metadata;
          const shape = (md.shape || []).map(Number);
          const typeClass = lib.classes[md.type] || 'unknown';
          if (shape.length < 1) { fail = { code: 'ndims', dataset: name, msg: 'dataset ' + name + ' has no axes' }; break; }
          if (typeClass !== 'H5T_FLOAT' && typeClass !== 'H5T_INTEGER') {
            fail = { code: 'class', dataset: name, typeClass, msg: 'unsupported datatype class ' + typeClass }; break;
          }
          let data;
          try { data = toFloat(d.value, Float32Array); } catch (e) { fail = { code: 'io', dataset: name, msg: why(e) }; break; }
          arrays.push({ shape, data, typeClass });
          transfer.push(data.buffer);
        }
      } finally {
        f.close();
      }
      return { arrays, fail };
    }
    case 'list': {
      const f = openFile(req.file, 'r');
      const datasets = {};
      try {
        for (const name of f.keys()) {
          const d = f.get(name);
          if (!(d instanceof lib.h5.Dataset)) continue;
          const md = d.metadata;
          const typeClass = lib.classes[md.type] || 'unknown';
          const entry = { shape: (md.shape || []).map(Number), dtype: String(d.dtype), typeClass, data: new Float64Array(0) };
          if (typeClass === 'H5T_FLOAT' || typeClass === 'H5T_INTEGER') { entry.data = toFloat(d.value, Float64Array); transfer.push(entry.data.buffer); }
          datasets[name] = entry;
        }
      } finally {
        f.close();
      }
      return { datasets };
    }
    case 'create': {
      const f = openFile(req.file, 'w');
      const h = nextHandle++;
      handles.set(h, f);
      return { handle: h };
    }
    case 'write': {
      const f = handles.get(req.handle);
      if (!f) throw new Fail('io', 'the file is closed');
      if (f.keys().includes(req.name)) throw new Fail('exists', 'dataset ' + req.name + ' exists');
      const dtype = req.data instanceof Float64Array ? '<d' : req.data instanceof Int32Array ? '<i' : '<f';
      try {
        f.create_dataset({ name: req.name, data: req.data, shape: req.shape, dtype });
        f.flush();
      } catch (e) {
        throw new Fail('io', why(e));
      }
      return {};
    }
    case 'close': {
      const f = handles.get(req.handle);
      handles.delete(req.handle);
      if (f) { try { f.close(); } catch (e) { throw new Fail('io', why(e)); } }
      return {};
    }
    case 'writeTree': {
      const f = openFile(req.file, 'w');
      try {
        for (const e of req.entries) {
          try {
            if (e.group) f.create_group(e.path);
            else if (typeof e.string === 'string') {
              // H5LTmake_dataset_string: a scalar, fixed-size, NUL-terminated ASCII string
              f.create_dataset({ name: e.path, data: e.string, shape: [], dtype: 'A' + (Buffer.byteLength(e.string) + 1) });
            } else {
              const dtype = e.data instanceof Float64Array ? '<d' : e.data instanceof Int32Array ? '<i' : '<f';
              f.create_dataset({ name: e.path, data: e.data, shape: e.shape, dtype });
            }
          } catch (err) {
            throw new Fail('io', 'cannot create ' + e.path + ': ' + why(err));
          }
        }
      } finally {
        f.close();
      }
      return {};
    }
    case 'readTree': {
      const f = openFile(req.file, 'r');
      const nodes = {};
      try {
        const walk = (g, gpath) => {
          const keys = g.keys();
          nodes[gpath] = { kind: 'group', keys };
          for (const name of keys) {
            const p = (gpath === '/' ? '' : gpath) + '/' + name;
            let o;
            try { o = g.get(name); } catch (err) { nodes[p] = { kind: 'other' }; continue; }
            if (o instanceof lib.h5.Group) walk(o, p);
            else if (o instanceof lib.h5.Dataset) {
              const md = o.metadata;
              const typeClass = lib.classes[md.type] || 'unknown';
              const node = { kind: 'dataset', shape: (md.shape || []).map(Number), typeClass };
              try {
                if (typeClass === 'H5T_FLOAT') { node.data = toFloat(o.value, Float32Array); transfer.push(node.data.buffer); }
                else if (typeClass === 'H5T_INTEGER') { node.data = toFloat(o.value, Float64Array); transfer.push(node.data.buffer); }
                else if (typeClass === 'H5T_STRING') {
                  let v = o.value;
                  if (Array.isArray(v)) v = v[0];
                  if (typeof v === 'string') { const z = v.indexOf('\0'); node.string = z >= 0 ? v.slice(0, z) : v; }
                }
              } catch (err) {
                node.error = why(err);
              }
              nodes[p] = node;
            } else nodes[p] = { kind: 'other' };
          }
        };
        walk(f, '/');
      } finally {
        f.close();
      }
      return { nodes };
    }
    default:
      throw new Fail('io', 'unknown request ' + req.op);
  }
}

port.on('message', async (req) => {
  await loading;
  const transfer = [];
  let reply;
  if (!lib) reply = { seq: req.seq, ok: false, code: 'io', msg: libError };
  else {
    try {
      reply = { seq: req.seq, ok: true, ...handle(req, transfer) };
    } catch (e) {
      reply = { seq: req.seq, ok: false, code: e instanceof Fail ? e.code : 'io', msg: e instanceof Fail ? e.message : why(e) };
      transfer.length = 0;
    }
  }
  if (req.seq < 0) return; // fire-and-forget (a close from a finalizer)
  port.postMessage(reply, transfer);
  finish(req.seq);
});
`;
