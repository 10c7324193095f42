// scripts/system-deps.js (npm's preinstall): what it does on machines with and without the libraries,
// root rights, sudo and a package manager, through a fake machine.
const deps = require('../../scripts/system-deps.js');

type Need = { what: string };
interface Fake {
  have: Set<string>;
  manager?: string;
  prefix?: string[];
  installs: string[][];
  lines: string[];
  installWorks?: boolean;
}

function machine(f: Partial<Fake>) {
  const m: Fake = { have: new Set(), installs: [], lines: [], installWorks: true, ...f };
  const sys = {
    present: (n: Need) => m.have.has(n.what),
    manager: m.manager,
    prefix: m.prefix,
    install: (pkgs: string[]) => {
      m.installs.push(pkgs);
      if (m.installWorks) for (const n of [...deps.NEEDS, ...deps.WANTS]) m.have.add(n.what);
      return m.installWorks;
    },
    say: (l: string) => m.lines.push(l),
  };
  return { m, run: (env: Record<string, string> = {}) => deps.main(sys, env) };
}

const ALL = [...deps.NEEDS, ...deps.WANTS].map((n: Need) => n.what);
const BUILD = deps.NEEDS.map((n: Need) => n.what);

test('everything present: silent, exit 0', () => {
  const { m, run } = machine({ have: new Set(ALL), manager: 'apt', prefix: [] });
  expect(run()).toBe(0);
  expect(m.lines).toEqual([]);
  expect(m.installs).toEqual([]);
});

test('root (or sudo -n) with apt: installs the Debian packages and says so', () => {
  const { m, run } = machine({
    have: new Set(['a C++ compiler', 'make', 'python3 (node-gyp)']),
    manager: 'apt',
    prefix: [],
  });
  expect(run()).toBe(0);
  expect(m.installs).toEqual([['libdnnl-dev', 'liblmdb-dev', 'libopenblas0-pthread', 'libjpeg-dev']]);
  expect(m.lines).toEqual([
    'installing system packages for the native backend: libdnnl-dev liblmdb-dev libopenblas0-pthread libjpeg-dev',
  ]);
});

test('no root and no sudo: one line naming the exact command, exit 1', () => {
  const { m, run } = machine({ have: new Set(BUILD.filter((w: string) => !/headers/.test(w))), manager: 'apt' });
  expect(run()).toBe(1);
  expect(m.installs).toEqual([]);
  expect(m.lines).toEqual([
    'missing oneDNN headers, LMDB headers; run `sudo apt-get update && sudo apt-get install -y ' +
      'libdnnl-dev liblmdb-dev libopenblas0-pthread libjpeg-dev`, then npm ci again',
  ]);
});

test.each([
  ['dnf', 'sudo dnf install -y onednn-devel lmdb-devel libjpeg-turbo-devel'],
  ['apk', 'sudo apk add onednn-dev lmdb-dev libjpeg-turbo-dev'],
  ['pacman', 'sudo pacman -S --needed onednn lmdb libjpeg-turbo'],
])('%s: the same line with its package names', (manager, cmd) => {
  const have = new Set([...ALL].filter((w) => !/headers/.test(w)));
  const { m, run } = machine({ have, manager });
  expect(run()).toBe(1);
  expect(m.lines).toEqual([`missing oneDNN headers, LMDB headers; run \`${cmd}\`, then npm ci again`]);
});

test('a failed install still ends in the one line', () => {
  const { m, run } = machine({ have: new Set(), manager: 'apt', prefix: ['sudo', '-n'], installWorks: false });
  expect(run()).toBe(1);
  expect(m.lines[m.lines.length - 1]).toMatch(
    /^missing oneDNN headers, LMDB headers, a C\+\+ compiler, make, .*run `sudo/,
  );
});

test('only the optional libraries missing without rights: a note, and the build goes on', () => {
  const { m, run } = machine({ have: new Set(BUILD), manager: 'apt' });
  expect(run()).toBe(0);
  expect(m.lines).toEqual([
    'optional OpenBLAS (for --engine=CAFFE), libjpeg-turbo headers (fast JPEG decoding) not found; to add it: ' +
      'sudo apt-get update && sudo apt-get install -y libopenblas0-pthread libjpeg-dev',
  ]);
});

test('a failed install of the optional libraries says what goes without them', () => {
  const { m, run } = machine({ have: new Set(BUILD), manager: 'apt', prefix: [], installWorks: false });
  expect(run()).toBe(0);
  expect(m.lines[m.lines.length - 1]).toBe(
    'could not install libopenblas0-pthread libjpeg-dev; --engine=CAFFE will not find a BLAS; ' +
      'JPEGs will be decoded by sharp, more slowly',
  );
});

test('CAFFETS_NO_SYSTEM_DEPS=1 skips everything', () => {
  const { m, run } = machine({ have: new Set(), manager: 'apt', prefix: [] });
  expect(run({ CAFFETS_NO_SYSTEM_DEPS: '1' })).toBe(0);
  expect(m.lines).toEqual([]);
  expect(m.installs).toEqual([]);
});
