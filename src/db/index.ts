// openDB(backend, path, mode): Caffe's db::GetDB + Open. Backends register here.
import { CaffeError } from '../util/errors';
import { Backend, DB, Mode, OpenDB } from './db';

export * from './db';

const backends = new Map<Backend, () => OpenDB>();

export function registerDBBackend(name: Backend, loader: () => OpenDB): void {
  backends.set(name, loader);
}

export async function openDB(backend: string, path: string, mode: Mode): Promise<DB> {
  const b = backend.toLowerCase() as Backend;
  const loader = backends.get(b);
  if (!loader) throw new CaffeError(`Unknown database backend: ${backend} (expected lmdb or leveldb)`);
  return loader()(path, mode);
}

// The backends load on first use (lmdb.ts pulls in the native addon, leveldb.ts classic-level's).
// They import only './db', never this file, so there is no import cycle.
registerDBBackend('lmdb', () => (require('./lmdb') as typeof import('./lmdb')).openLMDB);
registerDBBackend('leveldb', () => (require('./leveldb') as typeof import('./leveldb')).openLevelDB);
