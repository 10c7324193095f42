// Whether GPU tests can run here: a WebGPU adapter must exist (lavapipe from mesa-vulkan-drivers
// counts). Checked once per test file in a child process, so a missing driver never hangs or kills the
// test runner. On CI (CI set) the tests always run, and fail without an adapter.
import { spawnSync } from 'child_process';
import * as path from 'path';

let cached: string | undefined | null = null;

/** Why GPU tests are skipped here, or undefined when they run. */
export function gpuSkipReason(): string | undefined {
  if (cached !== null) return cached;
  if (process.env.CI) return (cached = undefined);
  const root = path.resolve(__dirname, '..');
  const probe = [
    `const url = require('url').pathToFileURL(require.resolve('webgpu', { paths: [${JSON.stringify(root)}] }));`,
    'import(url.href).then(async ({ create, globals }) => {',
    '  Object.assign(globalThis, globals);',
    '  const a = await create([]).requestAdapter();',
    "  process.stdout.write(a ? 'ok' : 'none');",
    '  process.exit(0);',
    "}, (e) => { process.stdout.write('error ' + e.message); process.exit(0); });",
  ].join('\n');
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60000 });
  const out = (r.stdout ?? '').trim();
  cached = out === 'ok' ? undefined : `no WebGPU adapter (${out || r.error?.message || 'probe failed'})`;
  if (cached) process.stderr.write(`GPU tests skipped: ${cached}\n`);
  return cached;
}
