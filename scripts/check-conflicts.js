#!/usr/bin/env node
// Fails when a tracked file still holds merge-conflict markers (a merge committed half-resolved).
'use strict';
const { spawnSync } = require('child_process');

const r = spawnSync('git', ['grep', '-n', '-I', '-E', '^(<<<<<<< |>>>>>>> |=======$)'], { encoding: 'utf8' });
if (r.status === 0) {
  process.stderr.write(`merge-conflict markers left in:\n${r.stdout}`);
  process.exit(1);
}
if (r.status !== 1) process.stderr.write(`check-conflicts: git grep failed (${r.stderr.trim()}); not checked\n`);
