// Where an installed npm package's ES-module entry is, for a native import() from a worker thread
// (h5wasm, webgpu): found by walking up from this folder to node_modules/<name>.
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';

/**
 * The file URL of package `name`'s entry (its `exports[subpath]` import condition, else `main`, else
 * `fallback`), or null when the package is not installed.
 */
export function packageEntryUrl(name: string, fallback: string, subpath = '.'): string | null {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', name);
    const pkgFile = path.join(pkgDir, 'package.json');
    if (fs.existsSync(pkgFile)) {
      let entry = fallback;
      try {
        const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
        const exp = pkg.exports?.[subpath];
        const imp = typeof exp === 'string' ? exp : exp?.import;
        if (typeof imp === 'string') entry = imp;
        else if (typeof imp?.default === 'string') entry = imp.default;
        else if (subpath === '.' && typeof pkg.main === 'string') entry = pkg.main;
      } catch {
        /* keep the fallback entry */
      }
      return pathToFileURL(path.join(pkgDir, entry)).href;
    }
    if (path.dirname(dir) === dir) return null;
  }
}
