// The path rules of DESIGN.md "Paths", one family at a time and at their edges, as
// tests/unit/workspacePaths.test.ts samples them: every reserved device name (CON, PRN, AUX, NUL,
// COM1-9, LPT1-9, with or without an extension, any case), every character Azure Files cannot hold,
// every control character, and the 255-per-name and 2048-in-all limits on both sides. Found missing
// while writing docs/testing.md.

import { describe, expect, it } from 'vitest';
import { InvalidPathError, invalidSegmentReason, parseWorkspacePath } from '../../src/workspace/paths.js';

function refused(raw: string): boolean {
  try {
    parseWorkspacePath(raw);
    return false;
  } catch (error) {
    if (error instanceof InvalidPathError && error.code === 'INVALID_PATH') return true;
    throw error;
  }
}

const DEVICES = [
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`]),
];

describe('names Azure Files cannot hold', () => {
  it('refuses every reserved device name in any case, bare or with an extension, in any folder', () => {
    const spellings = DEVICES.flatMap((name) => [
      name,
      name.toLowerCase(),
      `${name}.txt`,
      `dir/${name.toLowerCase()}.log`,
    ]);
    expect(spellings.filter((path) => !refused(path))).toEqual([]);
  });

  it('keeps names that only start like a device name', () => {
    for (const path of ['CONFIG', 'console.log', 'com10', 'LPT0', 'nul-device', 'auxiliary/x']) {
      expect(parseWorkspacePath(path)).toBe(path);
    }
  });

  it('refuses each of " \\ : | < > * ? in a name', () => {
    const paths = ['"', '\\', ':', '|', '<', '>', '*', '?'].map((c) => `dir/a${c}b.txt`);
    expect(paths.filter((path) => !refused(path))).toEqual([]);
  });

  it('refuses every control character, DEL included', () => {
    const controls = [...Array.from({ length: 32 }, (_, i) => i), 0x7f].map(
      (code) => `a${String.fromCharCode(code)}b`,
    );
    expect(controls.filter((path) => !refused(path))).toEqual([]);
  });

  it('refuses a trailing dot or space in any segment, not only the last', () => {
    for (const path of ['dir./a', 'dir /a', 'a/b.', 'a/b ']) expect(refused(path), path).toBe(true);
    for (const path of ['.dir/a', ' dir/a', 'a/.b', 'a/b.c']) expect(parseWorkspacePath(path)).toBe(path);
  });
});

describe('one name, one segment', () => {
  it('a name with a slash in it is no name: the sync skips it (found by the synced-names property test, seed 947778534)', () => {
    for (const name of ['/', 'a/b', '/x', 'x/'])
      expect(invalidSegmentReason(name), name).toBe('slash in name');
    expect(invalidSegmentReason('a')).toBeUndefined();
  });
});

describe('lengths', () => {
  it('takes a name of 255 bytes and refuses 256, in ASCII and in multi-byte UTF-8', () => {
    expect(parseWorkspacePath('a'.repeat(255))).toHaveLength(255);
    expect(refused('a'.repeat(256))).toBe(true);
    const twoByte = 'é'.repeat(127) + 'a'; // 255 bytes
    expect(parseWorkspacePath(twoByte)).toBe(twoByte);
    expect(refused(twoByte + 'a')).toBe(true);
  });

  it('takes a path of 2048 characters and refuses 2049', () => {
    const segment = 'a'.repeat(200);
    const build = (length: number) => {
      const parts = [];
      let total = 0;
      while (total + segment.length + 1 < length) {
        parts.push(segment);
        total += segment.length + 1;
      }
      parts.push('b'.repeat(length - total));
      return parts.join('/');
    };
    expect(build(2048)).toHaveLength(2048);
    expect(parseWorkspacePath(build(2048))).toHaveLength(2048);
    expect(refused(build(2049))).toBe(true);
  });
});

describe('relative, normalised paths', () => {
  it('refuses a leading slash, "." and ".." segments and empty segments; trims one trailing slash', () => {
    for (const path of ['/a', '//a', './a', 'a/.', 'a/..', 'a//b', 'a/b//'])
      expect(refused(path), path).toBe(true);
    expect(parseWorkspacePath('a/b/')).toBe('a/b');
  });
});
