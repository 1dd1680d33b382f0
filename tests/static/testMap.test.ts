// docs/testing.md maps each contract clause to the tests that prove it. A test renamed or deleted would
// leave the map pointing at nothing, so `npm test` runs scripts/check-test-map.mjs against it; the
// checker's own behaviour is tested here too, so a checker that accepts everything fails.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts', 'check-test-map.mjs');

interface Reference {
  file: string;
  name?: string;
  line: number;
  reason?: string;
}

/** The parts of scripts/check-test-map.mjs used here (a plain .mjs script has no declarations). */
interface TestMapChecker {
  testNamesIn(code: string, fileName?: string): { name: string; kind: 'suite' | 'test' }[];
  referencesIn(markdown: string): Reference[];
  staleReferences(root: string, mapPath: string): { references: Reference[]; stale: Reference[] };
}

const checker = (await import(pathToFileURL(script).href)) as TestMapChecker;

describe('docs/testing.md', () => {
  it('names only test files and tests that exist', () => {
    const { references, stale } = checker.staleReferences(root, join(root, 'docs', 'testing.md'));
    expect(stale).toEqual([]);
    // The map is the contract's: a map that named a handful of tests would pass the line above.
    expect(references.filter((r) => r.name !== undefined).length).toBeGreaterThan(150);
  });
});

describe('scripts/check-test-map.mjs', () => {
  const made: string[] = [];
  afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  function checkout(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'test-map-'));
    made.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  it('joins describe and it titles with " › ", through modifiers, each, skipIf and nesting', () => {
    const code = [
      "describe('outer', () => {",
      "  it('plain', () => {});",
      "  it.each([1])('case %s', () => {});",
      '  describe.each(rows)(`${label} rows`, () => {',
      "    test.skipIf(x)('inner', () => {});",
      '  });',
      '  it(NAME, () => {});',
      '});',
      "it.concurrent('top level', () => {});",
    ].join('\n');
    expect(checker.testNamesIn(code)).toEqual([
      { name: 'outer', kind: 'suite' },
      { name: 'outer › plain', kind: 'test' },
      { name: 'outer › case %s', kind: 'test' },
      { name: 'outer › ${label} rows', kind: 'suite' },
      { name: 'outer › ${label} rows › inner', kind: 'test' },
      { name: 'outer › ${NAME}', kind: 'test' },
      { name: 'top level', kind: 'test' },
    ]);
  });

  it('reads references from table cells (with escaped pipes) and prose, with their lines', () => {
    const markdown = [
      '# Map',
      '',
      'See `tests/unit/a.test.ts` › `x › y` here.',
      '',
      '| clause | tests |',
      '| --- | --- |',
      '| one | `tests/unit/a.test.ts` › `a \\| b`<br>`tests/unit/b.test.ts` |',
      '',
      '`src/not-a-test.ts` › `ignored`',
      'Globs and placeholders are not references: `tests/unit/**/*.test.ts`, `tests/<folder>/<file>.test.ts`.',
    ].join('\n');
    expect(checker.referencesIn(markdown)).toEqual([
      { file: 'tests/unit/a.test.ts', name: 'x › y', line: 3 },
      { file: 'tests/unit/a.test.ts', name: 'a | b', line: 7 },
      { file: 'tests/unit/b.test.ts', name: undefined, line: 7 },
    ]);
  });

  it('reports a missing file and a missing test name, and accepts suites and patterns', async () => {
    const dir = checkout({
      'tests/unit/a.test.ts': "describe('group', () => { it.each([1])('takes %s', () => {}); });",
      'docs/testing.md': [
        '| clause | tests |',
        '| --- | --- |',
        '| a | `tests/unit/a.test.ts` › `group › takes %s` |',
        '| b | `tests/unit/a.test.ts` › `group` |',
        '| c | `tests/unit/a.test.ts` › `group › renamed` |',
        '| d | `tests/unit/gone.test.ts` › `anything` |',
      ].join('\n'),
    });
    const { references, stale } = checker.staleReferences(dir, join(dir, 'docs/testing.md'));
    expect(references).toHaveLength(4);
    expect(stale).toEqual([
      { file: 'tests/unit/a.test.ts', name: 'group › renamed', line: 5, reason: 'no such test' },
      { file: 'tests/unit/gone.test.ts', name: 'anything', line: 6, reason: 'no such file' },
    ]);

    const run = promisify(execFile)(process.execPath, [script, '--root', dir]);
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(
      'docs/testing.md:5: no such test: tests/unit/a.test.ts › group › renamed',
    );
    expect(failure?.stderr).toContain('docs/testing.md:6: no such file: tests/unit/gone.test.ts › anything');
  });
});
