// End-to-end: bin/caffets as a user runs it (needs `npm run build`, which `npm test` does first).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { COMMANDS } from '../../src/cli/commands';
import { ROOT, tmpDir } from '../helpers';

function caffets(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('caffets CLI', () => {
  it('lists every Caffe tool in --help', () => {
    const r = caffets('--help');
    expect(r.code).toBe(0);
    for (const c of ['train', 'test', 'time', 'device_query', 'convert_imageset', 'compute_image_mean', 'classify',
      'extract_features', 'upgrade_net_proto_text', 'upgrade_net_proto_binary', 'upgrade_solver_proto_text', 'demo']) {
      expect(r.out).toContain(`caffets ${c}`);
    }
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help works', (name) => {
    const r = caffets(name, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`caffets ${name}`);
  });

  it('says so for a command not built yet, with exit code 2', () => {
    const unbuilt = COMMANDS.filter((c) => !c.run);
    if (!unbuilt.length) return;
    const c = unbuilt[0];
    const r = caffets(c.name, ...(c.positionals?.match(/<[^>]+>/g) ?? []).map((_, i) => `arg${i}`));
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(new RegExp(`^caffets: caffets ${c.name}: not implemented yet`));
  });

  it('accepts Caffe flag spellings (-flag value, -flag=value, --flag value)', () => {
    for (const form of [['-solver', 's.prototxt'], ['-solver=s.prototxt'], ['--solver', 's.prototxt'], ['--solver=s.prototxt']]) {
      const r = caffets('train', ...form, '-gpu', 'all');
      expect(r.err).not.toMatch(/Unknown argument/);
    }
  });

  it('rejects an unknown flag in one line', () => {
    const r = caffets('train', '--sovler=x');
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/Unknown argument: sovler/);
  });

  it('rejects a missing positional in one line', () => {
    const r = caffets('upgrade_net_proto_text', 'only-one');
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('reports a missing input file in one line, no stack', () => {
    const d = tmpDir();
    const r = caffets('upgrade_net_proto_text', path.join(d, 'nope.prototxt'), path.join(d, 'out.prototxt'));
    expect(r.code).not.toBe(0);
    expect(r.err.trim()).toBe(`caffets: File not found: ${path.join(d, 'nope.prototxt')}`);
    expect(fs.existsSync(path.join(d, 'out.prototxt'))).toBe(false);
  });

  it('reports a malformed prototxt with file:line:col', () => {
    const d = tmpDir();
    const f = path.join(d, 'bad.prototxt');
    fs.writeFileSync(f, 'name: "x"\nlayer {\n  name: "a"\n  tpye: "ReLU"\n}\n');
    const r = caffets('upgrade_net_proto_text', f, path.join(d, 'out.prototxt'));
    expect(r.code).not.toBe(0);
    noStack(r.err);
    expect(r.err.trim()).toBe(`caffets: ${f}:4:3: message caffe.LayerParameter has no field named "tpye"`);
  });

  it('reports a truncated caffemodel in one line', () => {
    const d = tmpDir();
    const f = path.join(d, 'w.caffemodel');
    fs.writeFileSync(f, Buffer.from([0x0a, 0x05, 0x61])); // name: length 5, 1 byte present
    const r = caffets('upgrade_net_proto_binary', f, path.join(d, 'o.caffemodel'));
    expect(r.code).not.toBe(0);
    noStack(r.err);
    expect(r.err.trim()).toMatch(new RegExp(`^caffets: ${f}: cannot parse as caffe.NetParameter`));
  });

  it('upgrades a V1 net and says when a file is already current', () => {
    const d = tmpDir();
    const v1 = path.join(d, 'v1.prototxt');
    fs.writeFileSync(v1, 'name: "n"\nlayers { name: "r" type: RELU bottom: "x" top: "x" }\n');
    const out = path.join(d, 'v2.prototxt');
    let r = caffets('upgrade_net_proto_text', v1, out);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('name: "n"\nlayer {\n  name: "r"\n  type: "ReLU"\n  bottom: "x"\n  top: "x"\n}\n');
    expect(r.err).toMatch(/Attempting to upgrade input file specified using deprecated V1LayerParameter/);
    r = caffets('upgrade_net_proto_text', out, path.join(d, 'v3.prototxt'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^E\d{4} .*\] File already in latest proto format: /m);
    expect(fs.readFileSync(path.join(d, 'v3.prototxt'), 'utf8')).toBe(fs.readFileSync(out, 'utf8'));
  });

  it('upgrades a solver_type enum to the type string', () => {
    const d = tmpDir();
    const s = path.join(d, 's.prototxt');
    fs.writeFileSync(s, 'base_lr: 0.01\nsolver_type: NESTEROV\n');
    const r = caffets('upgrade_solver_proto_text', s, path.join(d, 'o.prototxt'));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(d, 'o.prototxt'), 'utf8')).toBe('base_lr: 0.01\ntype: "Nesterov"\n');
  });
});
