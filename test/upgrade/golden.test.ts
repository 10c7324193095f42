// Golden tests against reference BVLC Caffe: each case of golden-cases.ts was run through Caffe's
// upgrade_net_proto_text / upgrade_solver_proto_text, and its output text, exit status and the log
// lines of upgrade_proto.cpp are pasted in golden-expected.ts. Ours must match all three.
// With Caffe installed the pasted results are also re-checked against the live binary;
// CAFFETS_REGEN_GOLDEN=1 rewrites golden-expected.ts from it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { parsePrototxt, printPrototxt } from '../../src/formats/prototxt';
import { netNeedsUpgrade, upgradeNetAsNeeded, solverNeedsTypeUpgrade, upgradeSolverAsNeeded } from '../../src/upgrade';
import { Message } from '../../src/proto/schema';
import { CASES, GoldenCase } from './golden-cases';
import { EXPECTED, GoldenResult } from './golden-expected';
import { captureFatal } from './capture';

const TOOLS = { net: '/usr/bin/upgrade_net_proto_text', solver: '/usr/bin/upgrade_solver_proto_text' };
const HAVE_CAFFE = fs.existsSync(TOOLS.net) && fs.existsSync(TOOLS.solver);
const TYPE = { net: 'NetParameter', solver: 'SolverParameter' };

/** Runs Caffe's tool on a case in a scratch directory, keeping upgrade_proto.cpp's log lines. */
export function runCaffe(c: GoldenCase): GoldenResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-golden-'));
  const input = `${c.name}.prototxt`;
  fs.writeFileSync(path.join(dir, input), c.input);
  const r = spawnSync(TOOLS[c.kind], [input, 'out.prototxt'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GLOG_minloglevel: '0' },
  });
  const log = r.stderr
    .split('\n')
    .map((l) => /^([IWEF])\d{4} [\d:.]+ +\d+ upgrade_proto\.cpp:\d+\] (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
  const out = path.join(dir, 'out.prototxt');
  const output = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : null;
  fs.rmSync(dir, { recursive: true, force: true });
  return { rc: r.status ?? (r.signal ? 128 + (os.constants.signals[r.signal] ?? 0) : -1), output, log };
}

/** What caffets does with a case: the tool's steps (tools/upgrade_*_proto_text.cpp) minus file I/O. */
function runOurs(c: GoldenCase): { upgraded: Message; ok: boolean | undefined; log: string[] } {
  const input = `${c.name}.prototxt`;
  const msg = parsePrototxt(c.input, TYPE[c.kind], input);
  const needs = c.kind === 'net' ? netNeedsUpgrade(msg) : solverNeedsTypeUpgrade(msg);
  if (!needs) return { upgraded: msg, ok: true, log: [] };
  const { ok, log } = captureFatal(() =>
    c.kind === 'net' ? upgradeNetAsNeeded(input, msg) : upgradeSolverAsNeeded(input, msg),
  );
  return { upgraded: msg, ok, log };
}

describe('upgrades match reference Caffe (pasted results)', () => {
  it('has a pasted result for every case', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(CASES.map((c) => c.name).sort());
  });

  describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const expected = EXPECTED[c.name];
    if (expected === undefined) {
      it.todo(`${c.name}: no pasted result yet`);
      return;
    }
    it(`${c.what}: same log lines and outcome`, () => {
      const ours = runOurs(c);
      expect(ours.log).toEqual(expected.log);
      if (expected.output === null) {
        expect(ours.ok).toBeUndefined(); // Caffe aborted (LOG(FATAL)/CHECK); we threw
      } else {
        expect(ours.ok).toBe(expected.rc === 0);
      }
    });
    if (expected.output !== null) {
      it('same message as Caffe wrote', () => {
        const ours = runOurs(c).upgraded;
        expect(ours).toEqual(parsePrototxt(expected.output!, TYPE[c.kind], 'caffe-output'));
      });
      it('same text, byte for byte', () => {
        expect(printPrototxt(runOurs(c).upgraded, TYPE[c.kind])).toBe(expected.output);
      });
    }
  });
});

const liveDescribe = HAVE_CAFFE ? describe : describe.skip;
liveDescribe(
  HAVE_CAFFE
    ? 'pasted results are what reference Caffe gives now'
    : 'pasted results vs live Caffe [skipped: /usr/bin/upgrade_*_proto_text not installed]',
  () => {
    const live: Record<string, GoldenResult> = {};
    beforeAll(() => {
      for (const c of CASES) live[c.name] = runCaffe(c);
      if (process.env.CAFFETS_REGEN_GOLDEN) writeExpected(live);
    });
    it.each(CASES.map((c) => [c.name]))('%s', (name) => {
      expect(live[name]).toEqual(EXPECTED[name]);
    });
  },
);

/** A log line as a string literal; one too long for 120 columns is cut at spaces into `+` pieces of <= 96 chars. */
function splitLiteral(line: string): string {
  if (JSON.stringify(line).length <= 113) return JSON.stringify(line);
  const pieces: string[] = [];
  let rest = line;
  let cut: number;
  while (rest.length > 96 && (cut = rest.lastIndexOf(' ', 95)) > 0) {
    pieces.push(rest.slice(0, cut + 1));
    rest = rest.slice(cut + 1);
  }
  pieces.push(rest);
  return pieces.map((p) => JSON.stringify(p)).join(' +\n        ');
}

function writeExpected(results: Record<string, GoldenResult>): void {
  const lit = (s: string) => '`' + s.replace(/[`\\$]/g, (ch) => '\\' + ch) + '`';
  let s =
    "// Reference BVLC Caffe's results on golden-cases.ts (generated by golden.test.ts with\n" +
    '// CAFFETS_REGEN_GOLDEN=1; do not edit). log: upgrade_proto.cpp\'s lines, "<severity> <message>";\n' +
    '// output: the file Caffe wrote (null when it aborted).\n\n' +
    'export interface GoldenResult {\n  rc: number;\n  output: string | null;\n  log: string[];\n}\n\n' +
    'export const EXPECTED: Record<string, GoldenResult> = {\n';
  for (const c of CASES) {
    const r = results[c.name];
    s += `  ${c.name}: {\n    rc: ${r.rc},\n    log: [${r.log.length ? '\n' : ''}`;
    for (const l of r.log) s += `      ${splitLiteral(l)},\n`;
    s += `${r.log.length ? '    ' : ''}],\n    output: ${r.output === null ? 'null' : lit(r.output)},\n  },\n`;
  }
  s += '};\n';
  fs.writeFileSync(path.join(__dirname, 'golden-expected.ts'), s);
}
