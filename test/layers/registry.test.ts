// src/layers/index.ts imports every built-in layer file by name: each capitalised file in
// src/layers is a layer type, and each must be registered once the index is loaded.
import * as fs from 'fs';
import * as path from 'path';
import '../../src/layers';
import { layerTypeList } from '../../src/core/layer_factory';

describe('built-in layer registration', () => {
  it('registers the type of every capitalised file in src/layers', () => {
    const dir = path.join(__dirname, '../../src/layers');
    const types = fs
      .readdirSync(dir)
      .filter((f) => /^[A-Z][A-Za-z0-9]*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(types.length).toBeGreaterThan(0);
    const registered = layerTypeList();
    expect(types.filter((t) => !registered.includes(t))).toEqual([]);
  });
});
