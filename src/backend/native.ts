// Loads the native addon (build/Release/caffets_native.node, built by `npm ci` via node-gyp).
import * as path from 'path';
import { CaffeError } from '../util/errors';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeAddon = any;

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    const file = path.resolve(__dirname, '../../build/Release/caffets_native.node');
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      addon = require(file);
    } catch (e) {
      throw new CaffeError(`cannot load the native backend ${file} (${(e as Error).message.split('\n')[0]}); ` +
        'run `npm ci` (needs libdnnl-dev and liblmdb-dev: apt-get install -y libdnnl-dev liblmdb-dev)');
    }
  }
  return addon;
}
