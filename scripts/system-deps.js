#!/usr/bin/env node
// `npm ci` preinstall step: makes sure the system libraries the native addon builds against are
// there (oneDNN and LMDB headers, a C++ toolchain), and installs what is missing when it can:
// as root with the system's package manager, or through `sudo -n`. Otherwise it stops with one
// line naming the command to run. OpenBLAS (for --engine=CAFFE, loaded at run time) and libjpeg-turbo's
// headers are installed along when possible and otherwise only mentioned. CAFFETS_NO_SYSTEM_DEPS=1 skips all of this.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const say = (line) => process.stderr.write(`caffets: ${line}\n`);

/** What the build needs, each with how to find it and its package name per package manager. */
const NEEDS = [
  {
    what: 'oneDNN headers',
    header: 'oneapi/dnnl/dnnl.h',
    pkg: { apt: 'libdnnl-dev', dnf: 'onednn-devel', apk: 'onednn-dev', pacman: 'onednn', brew: 'onednn' },
  },
  {
    what: 'LMDB headers',
    header: 'lmdb.h',
    pkg: { apt: 'liblmdb-dev', dnf: 'lmdb-devel', apk: 'lmdb-dev', pacman: 'lmdb', brew: 'lmdb' },
  },
  {
    what: 'a C++ compiler',
    command: 'g++',
    alt: ['c++', 'clang++'],
    pkg: { apt: 'g++', dnf: 'gcc-c++', apk: 'g++', pacman: 'gcc' },
  },
  { what: 'make', command: 'make', pkg: { apt: 'make', dnf: 'make', apk: 'make', pacman: 'make' } },
  {
    what: 'python3 (node-gyp)',
    command: 'python3',
    pkg: { apt: 'python3', dnf: 'python3', apk: 'python3', pacman: 'python' },
  },
];
/** Wanted but not required: the CBLAS that --engine=CAFFE loads with dlopen, and libjpeg-turbo's
 *  headers (the addon then decodes JPEGs with the system libjpeg, as OpenCV does, else sharp does). */
const WANTS = [
  {
    what: 'OpenBLAS (for --engine=CAFFE)',
    library: ['libopenblas.so.0', 'libblas.so.3', 'libcblas.so.3', 'libopenblas.dylib'],
    pkg: {
      apt: 'libopenblas0-pthread',
      dnf: 'openblas-openmp',
      apk: 'openblas',
      pacman: 'openblas',
      brew: 'openblas',
    },
    without: '--engine=CAFFE will not find a BLAS',
  },
  {
    what: 'libjpeg-turbo headers (fast JPEG decoding)',
    header: 'jpeglib.h',
    pkg: {
      apt: 'libjpeg-dev',
      dnf: 'libjpeg-turbo-devel',
      apk: 'libjpeg-turbo-dev',
      pacman: 'libjpeg-turbo',
      brew: 'jpeg-turbo',
    },
    without: 'JPEGs will be decoded by sharp, more slowly',
  },
];

/** Each package manager: how we run it, and the command we tell a user to run. */
const MANAGERS = {
  apt: {
    bin: 'apt-get',
    update: ['apt-get', 'update', '-qq'],
    install: ['apt-get', 'install', '-y', '-qq', '--no-install-recommends'],
    tell: (p) => `sudo apt-get update && sudo apt-get install -y ${p}`,
  },
  dnf: { bin: 'dnf', install: ['dnf', 'install', '-y'], tell: (p) => `sudo dnf install -y ${p}` },
  apk: { bin: 'apk', install: ['apk', 'add', '--no-cache'], tell: (p) => `sudo apk add ${p}` },
  pacman: {
    bin: 'pacman',
    install: ['pacman', '-S', '--needed', '--noconfirm'],
    tell: (p) => `sudo pacman -S --needed ${p}`,
  },
  brew: { bin: 'brew', install: ['brew', 'install'], noRoot: true, tell: (p) => `brew install ${p}` },
};

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((d) => d && isFile(path.join(d, cmd)));
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function includeDirs() {
  const fromEnv = ['CPATH', 'CPLUS_INCLUDE_PATH', 'C_INCLUDE_PATH']
    .flatMap((k) => (process.env[k] || '').split(path.delimiter))
    .filter(Boolean);
  const brew = process.env.HOMEBREW_PREFIX ? [path.join(process.env.HOMEBREW_PREFIX, 'include')] : [];
  return [...fromEnv, ...brew, '/usr/include', '/usr/local/include', '/opt/homebrew/include'];
}

function libraryDirs() {
  const out = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  const listed = out.status === 0 ? out.stdout : '';
  return { listed, dirs: ['/usr/lib', '/usr/local/lib', '/opt/homebrew/lib'] };
}

function present(need) {
  if (need.header) return includeDirs().some((d) => isFile(path.join(d, need.header)));
  if (need.command) return [need.command, ...(need.alt || [])].some(onPath);
  const { listed, dirs } = libraryDirs();
  return need.library.some((l) => listed.includes(l) || dirs.some((d) => isFile(path.join(d, l))));
}

function detectManager() {
  if (process.platform === 'darwin') return onPath('brew') ? 'brew' : undefined;
  return ['apt', 'dnf', 'apk', 'pacman'].find((m) => onPath(MANAGERS[m].bin));
}

/** How to run a command with root rights: directly, through `sudo -n`, or not at all. */
function rootPrefix(manager) {
  if (MANAGERS[manager].noRoot || (process.getuid && process.getuid() === 0)) return [];
  if (onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) {
    return ['sudo', '-n'];
  }
  return undefined;
}

/** Runs one step; its own chatter is shown only when it fails. */
function run(argv, env) {
  say(`running: ${argv.join(' ')}`);
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`${r.stdout || ''}${r.stderr || r.error || ''}\n`);
  return r.status === 0;
}

function install(manager, prefix, pkgs) {
  const m = MANAGERS[manager];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (m.update && !run([...prefix, ...m.update], env)) return false;
  return run([...prefix, ...m.install, ...pkgs], env);
}

/** The machine as main() sees it; tests pass their own. */
function realSystem() {
  const manager = detectManager();
  const prefix = manager && rootPrefix(manager);
  return { present, manager, prefix, install: (pkgs) => install(manager, prefix, pkgs), say };
}

/** Checks, installs what it can, else names the command; returns the exit code. */
function main(sys = realSystem(), env = process.env) {
  if (env.CAFFETS_NO_SYSTEM_DEPS === '1') return 0;
  const missing = NEEDS.filter((n) => !sys.present(n));
  const wanted = WANTS.filter((n) => !sys.present(n));
  if (!missing.length && !wanted.length) return 0;

  const { manager, prefix } = sys;
  const names = (list) => list.map((n) => (manager && n.pkg[manager]) || n.what);
  if (manager && prefix) {
    const all = [...missing, ...wanted];
    sys.say(`installing system packages for the native backend: ${names(all).join(' ')}`);
    if (sys.install(names(all)) && !NEEDS.some((n) => !sys.present(n))) return 0;
    if (!missing.length) {
      sys.say(`could not install ${names(wanted).join(' ')}; ${wanted.map((n) => n.without).join('; ')}`);
      return 0;
    }
  }
  if (!missing.length) {
    const how = manager ? `; to add it: ${MANAGERS[manager].tell(names(wanted).join(' '))}` : '';
    sys.say(`optional ${wanted.map((n) => n.what).join(', ')} not found${how}`);
    return 0;
  }
  const lacks = missing.map((n) => n.what).join(', ');
  if (!manager) {
    sys.say(
      `missing ${lacks}: install oneDNN and LMDB development files, then run npm ci again ` +
        '(or set CAFFETS_NO_SYSTEM_DEPS=1 if they are somewhere the compiler finds them)',
    );
    return 1;
  }
  const cmd = MANAGERS[manager].tell(names([...missing, ...wanted]).join(' '));
  sys.say(`missing ${lacks}; run \`${cmd}\`, then npm ci again`);
  return 1;
}

module.exports = { main, NEEDS, WANTS, MANAGERS };
if (require.main === module) process.exitCode = main();
