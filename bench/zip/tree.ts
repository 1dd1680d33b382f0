// Generated workspaces for the ZIP benchmarks: text-like, compressible content (source files,
// configs) with sizes spread like a real scripts repository, deterministic from a seed.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { random } from '../lib/random.js';

const WORDS = (
  'const let function return if else for while import export from await async class new this ' +
  'true false null undefined string number object array map filter reduce console log error ' +
  'workspace file path folder sync branch commit tree blob stream archive entry config value'
).split(' ');

/** A 1 MiB pool of source-like text; files are windows of it (fast to generate, realistic to deflate). */
function textPool(next: () => number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < 1024 * 1024) {
    const word = next() < 0.1 ? `${Math.floor(next() * 1e6)}` : WORDS[Math.floor(next() * WORDS.length)]!;
    const piece = word + (next() < 0.12 ? '\n' : ' ');
    parts.push(piece);
    length += piece.length;
  }
  return parts.join('');
}

function text(pool: string, next: () => number, bytes: number): Buffer {
  const chunks: string[] = [];
  for (let left = bytes; left > 0;) {
    const start = Math.floor(next() * (pool.length - 1));
    const piece = pool.slice(start, start + Math.min(left, 64 * 1024));
    chunks.push(piece);
    left -= piece.length;
  }
  return Buffer.from(chunks.join(''));
}

export interface TreeSpec {
  files: number;
  /** Total bytes; file sizes are spread log-uniformly around totalBytes / files. */
  totalBytes: number;
  seed?: number;
}

/** Writes the tree under root (100 files per folder, folders 2 deep); returns the bytes written. */
export async function generateTree(root: string, spec: TreeSpec): Promise<number> {
  const next = random(spec.seed ?? 42);
  const pool = textPool(next);
  const mean = spec.totalBytes / spec.files;
  let total = 0;
  for (let i = 0; i < spec.files; i += 100) {
    const dir = join(root, `pkg${Math.floor(i / 1000)}`, `mod${Math.floor(i / 100) % 10}`);
    await mkdir(dir, { recursive: true });
    const count = Math.min(100, spec.files - i);
    await Promise.all(
      Array.from({ length: count }, (_, j) => {
        const content = text(pool, next, Math.max(1, Math.round(mean * Math.exp((next() - 0.5) * 3) * 0.73)));
        total += content.length;
        return writeFile(join(dir, `file${i + j}.ts`), content);
      }),
    );
  }
  return total;
}
