// Test helpers: the ../shared golden folder and reference Caffe are optional; tests that need them
// skip with a one-line reason when absent.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';

export const ROOT = path.resolve(__dirname, '..');
export const SHARED = path.resolve(ROOT, '../shared');
export const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'fixtures'));

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED, ...parts);
}

/** describe() that skips, saying why once, when ../shared is absent. */
export const describeShared: (name: string, fn: () => void) => void = (name, fn) => {
  if (HAVE_SHARED) return describe(name, fn);
  return describe.skip(`${name} [skipped: ../shared is absent]`, fn);
};

/** Whether `name` is a command on the PATH. */
export function haveBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
export const HAVE_CAFFE = haveBinary('upgrade_net_proto_text') && haveBinary('caffe');

/** describe() that needs reference BVLC Caffe's binaries (and ../shared). */
export const describeCaffe: (name: string, fn: () => void) => void = (name, fn) => {
  if (HAVE_CAFFE && HAVE_SHARED) return describe(name, fn);
  const why = HAVE_SHARED
    ? 'reference Caffe is not installed (../shared/tools/install-reference-caffe.sh)'
    : '../shared is absent';
  return describe.skip(`${name} [skipped: ${why}]`, fn);
};

/** Every file under `dir` whose name matches `re`, sorted. */
export function findFiles(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (re.test(e.name)) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

export function tmpDir(prefix = 'caffets-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** max |ours - ref| / max |ref| (0 when both are 0): the forward bars' measure against Caffe's blobs. */
export function relMaxError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0,
    m = 0;
  for (let i = 0; i < ref.length; i++) {
    e = Math.max(e, Math.abs(ours[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return e === 0 ? 0 : e / m;
}
