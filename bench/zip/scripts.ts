// A scripts repository as a ZIP benchmark tree: many small files of highly repetitive text (the
// same boilerplate, helpers and log lines in every script, with names and numbers varied), the
// shape issue 13 §5 measured (10,000 files, about 88 MB, about 14 MB zipped by Info-ZIP -6).
// Deterministic from a seed.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { random } from '../lib/random.js';

const NAMES = (
  'deploy backup restore rotate cleanup report sync export import migrate verify audit index ' +
  'compress archive notify refresh rebuild provision teardown snapshot prune scan collect'
).split(' ');
const TARGETS = 'users orders invoices logs metrics sessions assets reports queues tables'.split(' ');

/** One script's blocks: the header and helpers every script repeats, then steps that vary a little. */
function script(next: () => number, id: number, bytes: number): string {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const name = `${pick(NAMES)}_${pick(TARGETS)}_${id}`;
  const lines = [
    '#!/usr/bin/env bash',
    `# ${name}: generated maintenance script; edit the settings block, not the steps.`,
    'set -euo pipefail',
    "IFS=$'\\n\\t'",
    '',
    'log() { printf \'%s [%s] %s\\n\' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" >&2; }',
    'die() { log ERROR "$1"; exit "${2:-1}"; }',
    'retry() { local n=0; until "$@"; do n=$((n + 1)); [ "$n" -ge 5 ] && return 1; sleep $((n * 2)); done; }',
    'require() { command -v "$1" >/dev/null 2>&1 || die "missing command: $1" 127; }',
    '',
    `readonly SCRIPT_NAME="${name}"`,
    `readonly WORK_DIR="\${WORK_DIR:-/var/tmp/${name}}"`,
    `readonly BATCH_SIZE=${100 * (1 + Math.floor(next() * 10))}`,
    '',
  ];
  let length = lines.join('\n').length;
  for (let step = 1; length < bytes; step++) {
    const target = pick(TARGETS);
    const block = [
      `step_${step}() {`,
      `  log INFO "step ${step}: ${pick(NAMES)} ${target} in batches of $BATCH_SIZE"`,
      `  local source="$WORK_DIR/${target}/input" destination="$WORK_DIR/${target}/output"`,
      '  mkdir -p "$source" "$destination"',
      `  retry rsync -a --delete "$source/" "$destination/" || die "step ${step}: rsync ${target} failed"`,
      `  find "$destination" -type f -name '*.${pick(['csv', 'json', 'log', 'tmp'])}' -mtime +${1 + Math.floor(next() * 30)} -delete`,
      `  log INFO "step ${step}: done (${target})"`,
      '}',
      '',
    ];
    const text = block.join('\n');
    lines.push(text);
    length += text.length + 1;
  }
  lines.push(
    'main() {',
    '  require rsync',
    '  for step in $(compgen -A function step_); do "$step"; done',
    '}',
    'main "$@"',
    '',
  );
  return lines.join('\n');
}

/** Writes `files` scripts of about totalBytes under root (100 per folder); returns the bytes written. */
export async function generateScripts(
  root: string,
  spec: { files: number; totalBytes: number; seed?: number },
) {
  const next = random(spec.seed ?? 11);
  const mean = spec.totalBytes / spec.files;
  let total = 0;
  for (let i = 0; i < spec.files; i += 100) {
    const dir = join(root, `team${Math.floor(i / 1000)}`, `jobs${Math.floor(i / 100) % 10}`);
    await mkdir(dir, { recursive: true });
    const count = Math.min(100, spec.files - i);
    await Promise.all(
      Array.from({ length: count }, (_, j) => {
        const content = Buffer.from(
          script(next, i + j, Math.round(mean * Math.exp((next() - 0.5) * 2) * 0.826)),
        );
        total += content.length;
        return writeFile(join(dir, `job${i + j}.sh`), content, { mode: (i + j) % 4 === 0 ? 0o644 : 0o755 });
      }),
    );
  }
  return total;
}
