// Caffe's tools take gflags syntax: `-solver x`, `-solver=x`, `--solver x`, `--solver=x`,
// `--shuffle`, `--noshuffle`, `--shuffle=false`. yargs reads `-solver` as six short flags, so
// single-dash long flags are rewritten to the double-dash form first.

const LONG_SINGLE_DASH = /^-([A-Za-z][A-Za-z0-9_]+)(=.*)?$/;

/** Rewrites gflags-style arguments into what yargs parses; `booleans` are the commands' bool flags. */
export function normalizeGflags(argv: readonly string[], booleans: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const single = LONG_SINGLE_DASH.exec(a);
    if (single) a = `-${a}`;
    const m = /^--no([A-Za-z0-9_]+)$/.exec(a);
    if (m && booleans.has(m[1]) && !booleans.has(`no${m[1]}`)) a = `--${m[1]}=false`;
    out.push(a);
  }
  return out;
}
