// The generated message types (src/proto/caffe.ts) make the compiler catch a misspelt parameter
// field. Two ways: `@ts-expect-error` lines below fail `tsc -p tsconfig.test.json` (run by
// `npm test` and `npm run lint`) if a misspelling ever stops being an error, and a test runs tsc
// on a small layer and solver that misspell fields and reads its diagnostics.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { withDefaults } from '../../src/proto/schema';
import type { LayerParameter, SolverParameter } from '../../src/proto/caffe';
import type { caffe } from '../../src';

class ProbeLayer extends Layer {
  reshape(_bottom: Blob[], top: Blob[]): void {
    const ip = this.param('inner_product_param');
    // @ts-expect-error misspelt field of InnerProductParameter
    const misspelt = (): number => ip.num_outptu;
    top[0].reshape([ip.num_output]);
    expect(misspelt).toBeInstanceOf(Function);
  }
  protected forwardCpu(): void {}
}

test('type-level: misspelt layer and solver fields do not compile', () => {
  // @ts-expect-error misspelt sub-message field of LayerParameter
  const bad: LayerParameter = { inner_product_parm: { num_output: 3 } };
  // @ts-expect-error misspelt SolverParameter field
  const _misspelt = withDefaults('caffe.SolverParameter', {}).weight_decy;
  const sp: SolverParameter = { weight_decay: 0.0005 };
  // the library exports the same types as `caffe.X`
  const fromIndex: caffe.SolverParameter = sp;
  // @ts-expect-error misspelt field through the library's export
  const _badIndex: caffe.PoolingParameter = { pool: 'MAX', kernel_sise: 2 };
  expect(withDefaults('caffe.SolverParameter', fromIndex).weight_decay).toBe(0.0005);
  expect(bad).toBeDefined();
  const layer = new ProbeLayer({ name: 'ip', type: 'Probe', inner_product_param: { num_output: 7 } });
  const top = new Blob();
  layer.reshape([], [top]);
  expect(top.shape).toEqual([7]);
});

test('tsc names the misspelt field and suggests the right one', () => {
  const src = path.resolve(__dirname, '../../src');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-types-'));
  const file = path.join(dir, 'probe.ts');
  fs.writeFileSync(
    file,
    [
      `import { Layer } from '${src}/core/layer';`,
      `import { Solver } from '${src}/solvers/solver';`,
      'export abstract class L extends Layer {',
      "  n(): number { return this.param('inner_product_param').num_outptu; }",
      "  k(): number { return this.param('convolution_param').kernel_size[0]; }",
      '}',
      "export const decay = (s: Solver): number => s.p('weight_decy');",
      '',
    ].join('\n'),
  );
  try {
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--esModuleInterop',
        '--target',
        'ES2022',
        '--module',
        'commonjs',
        '--moduleResolution',
        'node',
        '--resolveJsonModule',
        '--types',
        'node',
        file,
      ],
      { encoding: 'utf8' },
    );
    const errors = r.stdout.split('\n').filter((l) => l.includes('error TS') && l.includes('probe.ts'));
    expect(r.status).not.toBe(0);
    expect(errors[0]).toMatch(/probe\.ts\(4,.*Property 'num_outptu' does not exist.*Did you mean 'num_output'\?/);
    expect(errors.slice(1).join('\n')).toMatch(/probe\.ts\(7,.*'"weight_decy"' is not assignable/);
    expect(errors.join('\n')).not.toMatch(/probe\.ts\(5,/); // the correctly spelt line compiles
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120000);
