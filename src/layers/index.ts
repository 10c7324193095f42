// Registers every built-in layer: each file in this folder named after its Caffe type
// (Convolution.ts, ReLU.ts, ...) calls registerLayer() when loaded. Helper modules are lower-case.
import * as fs from 'fs';
import * as path from 'path';

let loaded = false;

export function registerBuiltinLayers(): void {
  if (loaded) return;
  loaded = true;
  for (const f of fs.readdirSync(__dirname).sort()) {
    if (/^[A-Z][A-Za-z0-9]*\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')) require(path.join(__dirname, f));
  }
}

registerBuiltinLayers();
