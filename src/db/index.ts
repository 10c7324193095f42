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
