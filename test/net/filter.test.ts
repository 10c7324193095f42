// Layer filtering by NetState (phase, level, stages) with include / exclude rules, as Caffe's
// FilterNet and StateMeetsRule (log lines checked against reference Caffe in setup_log.test.ts).
import { filterNet, layerIncluded, stateMeetsRule, Net } from '../../src/net';
import { Message } from '../../src/proto/schema';
import { captureLog, netParam } from './support';

const names = (p: Message) => (p.layer as Message[]).map((l) => l.name);

const NET = `
  layer { name: "always" type: "Input" top: "data" input_param { shape { dim: 1 } } }
  layer { name: "train" type: "ReLU" bottom: "data" top: "a" include { phase: TRAIN } }
  layer { name: "test" type: "ReLU" bottom: "data" top: "b" include { phase: TEST } }
  layer { name: "notest" type: "ReLU" bottom: "data" top: "c" exclude { phase: TEST } }
  layer { name: "lvl" type: "ReLU" bottom: "data" top: "d" include { min_level: 1 max_level: 2 } }
  layer { name: "stages" type: "ReLU" bottom: "data" top: "e" include { stage: "x" stage: "y" } }
  layer { name: "either" type: "ReLU" bottom: "data" top: "f" include { stage: "x" } include { stage: "z" } }
  layer { name: "notx" type: "ReLU" bottom: "data" top: "g" include { not_stage: "x" } }
  layer { name: "exx" type: "ReLU" bottom: "data" top: "h" exclude { stage: "x" phase: TRAIN } }`;

function kept(state: Message | undefined): string[] {
  const p = netParam(NET);
  if (state) p.state = state;
  return captureLog(() => names(filterNet(p))).result;
}

describe('filterNet', () => {
  it('defaults to phase TEST, level 0, no stages', () => {
    expect(kept(undefined)).toEqual(['always', 'test', 'notx', 'exx']);
  });

  it('selects by phase', () => {
    expect(kept({ phase: 'TRAIN' })).toEqual(['always', 'train', 'notest', 'notx', 'exx']);
  });

  it('selects by level range', () => {
    expect(kept({ phase: 'TEST', level: 1 })).toContain('lvl');
    expect(kept({ phase: 'TEST', level: 2 })).toContain('lvl');
    expect(kept({ phase: 'TEST', level: 3 })).not.toContain('lvl');
    expect(kept({ phase: 'TEST', level: -1 })).not.toContain('lvl');
  });

  it("needs all of a rule's stages, any one rule, and none of its not_stages", () => {
    expect(kept({ phase: 'TRAIN', stage: ['x'] })).toEqual(['always', 'train', 'notest', 'either']);
    expect(kept({ phase: 'TEST', stage: ['y', 'x'] })).toEqual(['always', 'test', 'stages', 'either', 'exx']);
    expect(kept({ phase: 'TEST', stage: ['z'] })).toEqual(['always', 'test', 'either', 'notx', 'exx']);
  });

  it("logs why a rule is not met, in Caffe's words (phases by number)", () => {
    const state = { phase: 'TRAIN', level: 3, stage: ['x'] };
    const log = (rule: Message) => captureLog(() => stateMeetsRule(state, rule, 'L'));
    expect(log({ phase: 'TEST' })).toEqual({
      result: false,
      lines: ['I The NetState phase (0) differed from the phase (1) specified by a rule in layer L'],
    });
    expect(log({ min_level: 4 }).lines).toEqual([
      'I The NetState level (3) is above the min_level (4) specified by a rule in layer L',
    ]);
    expect(log({ max_level: 2 }).lines).toEqual([
      'I The NetState level (3) is above the max_level (2) specified by a rule in layer L',
    ]);
    expect(log({ stage: ['x', 'q'] }).lines).toEqual([
      "I The NetState did not contain stage 'q' specified by a rule in layer L",
    ]);
    expect(log({ not_stage: ['x'] }).lines).toEqual([
      "I The NetState contained a not_stage 'x' specified by a rule in layer L",
    ]);
    expect(log({ phase: 'TRAIN', min_level: 3, max_level: 3, stage: ['x'], not_stage: ['y'] })).toEqual({
      result: true,
      lines: [],
    });
  });

  it('refuses a layer with both include and exclude rules', () => {
    const lp = { name: 'a', include: [{ phase: 'TRAIN' }], exclude: [{ phase: 'TEST' }] };
    expect(() => layerIncluded({}, lp)).toThrow(
      'Check failed: layer_param.include_size() == 0 || layer_param.exclude_size() == 0 ' +
        'Specify either include rules or exclude rules; not both.',
    );
  });

  it('keeps the other NetParameter fields and leaves the input alone', () => {
    const p = netParam(`name: "n" force_backward: true state { phase: TRAIN } ${NET}`);
    const out = captureLog(() => filterNet(p)).result;
    expect(out.name).toBe('n');
    expect(out.force_backward).toBe(true);
    expect(out.state).toEqual({ phase: 'TRAIN' });
    expect(p.layer).toHaveLength(9);
  });

  it("Net applies phase / level / stage overrides on top of the NetParameter's state", () => {
    const p = netParam(`state { stage: "y" } ${NET}`);
    const net = captureLog(() => new Net(p, { phase: 'TRAIN', level: 1, stages: ['x'] })).result;
    expect(net.phase).toBe('TRAIN');
    expect(net.layerNames).toEqual(['always', 'data_always_0_split', 'train', 'notest', 'lvl', 'stages', 'either']);
    expect(p.state).toEqual({ stage: ['y'] });
    const plain = captureLog(() => new Net(netParam(NET))).result;
    expect(plain.phase).toBe('TEST');
    expect(plain.layers.every((l) => l.phase === 'TEST')).toBe(true);
  });
});
