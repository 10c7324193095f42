#!/usr/bin/env node
// Where MPI is, for binding.gyp's optional caffets_mpi target (native/mpi/mpi.cc):
//   node scripts/mpi-config.js found     1 when mpi.h and libmpi are found, else 0
//   node scripts/mpi-config.js include   the include folders
//   node scripts/mpi-config.js libs      the linker flags (with an rpath to libmpi's folder)
// Asks Open MPI's compiler wrapper (`mpicc --showme:...`), then pkg-config (ompi, mpi).
// CAFFETS_NO_MPI=1 reports nothing found, so the addon builds without MPI (and at run time caffets
// then does not load caffets_mpi.node: src/native/mpi.ts).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const words = (s) => (s ? s.split(/\s+/).filter(Boolean) : []);

/** { include: [dirs], libdirs: [dirs], libs: [names] } or null */
function find() {
  if (process.env.CAFFETS_NO_MPI) return null;
  const inc = run('mpicc', ['--showme:incdirs']);
  if (inc !== null) {
    return {
      include: words(inc),
      libdirs: words(run('mpicc', ['--showme:libdirs'])),
      libs: words(run('mpicc', ['--showme:libs'])),
    };
  }
  for (const pkg of ['ompi', 'mpi']) {
    const cflags = run('pkg-config', ['--cflags-only-I', pkg]);
    if (cflags === null) continue;
    const libs = words(run('pkg-config', ['--libs', pkg]));
    return {
      include: words(cflags).map((f) => f.replace(/^-I/, '')),
      libdirs: libs.filter((f) => f.startsWith('-L')).map((f) => f.slice(2)),
      libs: libs.filter((f) => f.startsWith('-l')).map((f) => f.slice(2)),
    };
  }
  return null;
}

const mpi = find();
const found = !!mpi && mpi.include.some((d) => fs.existsSync(path.join(d, 'mpi.h')));
const what = process.argv[2];
if (what === 'found') process.stdout.write(found ? '1' : '0');
else if (what === 'include') process.stdout.write(found ? mpi.include.join(' ') : '');
else if (what === 'libs') {
  const flags = found
    ? [
        ...mpi.libdirs.flatMap((d) => [`-L${d}`, `-Wl,-rpath,${d}`]),
        ...(mpi.libs.length ? mpi.libs : ['mpi']).map((l) => `-l${l}`),
      ]
    : [];
  process.stdout.write(flags.join(' '));
} else {
  process.stderr.write('usage: mpi-config.js found|include|libs\n');
  process.exit(2);
}
