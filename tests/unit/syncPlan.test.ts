import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { manifestPieces, parseManifest, type Manifest } from '../../src/sync/manifest.js';
import { countsOf, hasChanges, planSync, type ListedEntry } from '../../src/sync/plan.js';
import { parseLsTree, type TreeEntry } from '../../src/git/tree.js';

const sha = (n: number) => n.toString(16).padStart(40, '0');
const file = (path: string, n = 1, mode = '100644', size = 10): TreeEntry => ({
  path,
  mode,
  sha: sha(n),
  size,
});
const listed = (path: string, etag = `"${path}"`, size = 10): ListedEntry => ({
  path,
  type: 'file',
  size,
  etag,
});
const dir = (path: string): ListedEntry => ({ path, type: 'directory', size: 0, etag: '"d"' });
const options = { exclude: ['.git/**', '.github/**'] };

function manifestOf(entries: [string, number, string?][]): Manifest {
  return {
    version: 1,
    repositoryUrl: 'https://github.com/acme/site.git',
    branch: 'main',
    commit: sha(999),
    files: Object.fromEntries(
      entries.map(([path, n, mode = '100644']) => [path, { sha: sha(n), mode, size: 10, etag: `"${path}"` }]),
    ),
  };
}

describe('parseLsTree', () => {
  it('reads NUL-separated records with sizes, tabs and newlines in names and submodules', () => {
    const out = [
      `100644 blob ${sha(1)}     12\tREADME.md`,
      `100755 blob ${sha(2)}      0\tbin/run me`,
      `120000 blob ${sha(3)}      9\tlink\twith tab`,
      `160000 commit ${sha(4)}       -\tvendor/lib`,
      `100644 blob ${sha(5)}      3\tline\nbreak.txt`,
      '',
    ].join('\0');
    expect(parseLsTree(out)).toEqual([
      { path: 'README.md', mode: '100644', sha: sha(1), size: 12 },
      { path: 'bin/run me', mode: '100755', sha: sha(2), size: 0 },
      { path: 'link\twith tab', mode: '120000', sha: sha(3), size: 9 },
      { path: 'vendor/lib', mode: '160000', sha: sha(4), size: 0 },
      { path: 'line\nbreak.txt', mode: '100644', sha: sha(5), size: 3 },
    ]);
  });

  it('refuses output it does not understand', () => {
    expect(() => parseLsTree('garbage\0')).toThrow(/Unexpected git ls-tree output/);
  });
});

describe('planSync', () => {
  it('adds everything into an empty store, folders parents first', () => {
    const plan = planSync([file('a/b/c.txt'), file('a/d.txt'), file('top.txt')], undefined, [], options);
    expect(plan.directories).toEqual(['a', 'a/b']);
    expect(plan.writes.map((w) => [w.path, w.kind])).toEqual([
      ['a/b/c.txt', 'add'],
      ['a/d.txt', 'add'],
      ['top.txt', 'add'],
    ]);
    expect(countsOf(plan)).toEqual({ added: 3, updated: 0, deleted: 0, unchanged: 0, skipped: 0 });
  });

  it('leaves files alone when SHA, mode, ETag and size all match the manifest', () => {
    const plan = planSync([file('a.txt', 1)], manifestOf([['a.txt', 1]]), [listed('a.txt')], options);
    expect(plan.writes).toEqual([]);
    expect(Object.keys(plan.unchanged)).toEqual(['a.txt']);
    expect(hasChanges(plan)).toBe(false);
  });

  it('updates on a new blob, a mode change, or drift in the store (ETag or size)', () => {
    const manifest = manifestOf([
      ['changed.txt', 1],
      ['mode.sh', 2],
      ['etag.txt', 3],
      ['size.txt', 4],
    ]);
    const tree = [
      file('changed.txt', 11),
      file('mode.sh', 2, '100755'),
      file('etag.txt', 3),
      file('size.txt', 4),
    ];
    const listing = [
      listed('changed.txt'),
      listed('mode.sh'),
      listed('etag.txt', '"edited"'),
      listed('size.txt', '"size.txt"', 99),
    ];
    const plan = planSync(tree, manifest, listing, options);
    expect(plan.writes.map((w) => [w.path, w.kind]).sort()).toEqual([
      ['changed.txt', 'update'],
      ['etag.txt', 'update'],
      ['mode.sh', 'update'],
      ['size.txt', 'update'],
    ]);
  });

  it('re-adds a file deleted from the store and updates one unknown to the manifest', () => {
    const plan = planSync(
      [file('gone.txt', 1), file('stranger.txt', 2)],
      manifestOf([['gone.txt', 1]]),
      [listed('stranger.txt')],
      options,
    );
    expect(plan.writes.map((w) => [w.path, w.kind])).toEqual([
      ['gone.txt', 'add'],
      ['stranger.txt', 'update'],
    ]);
  });

  it('deletes files not in the tree, then folders that became empty, deepest first', () => {
    const listing = [
      dir('keep'),
      listed('keep/a.txt'),
      dir('old'),
      dir('old/deep'),
      listed('old/deep/x.txt'),
      dir('empty'),
      listed('extra.txt'),
    ];
    const plan = planSync([file('keep/a.txt')], manifestOf([['keep/a.txt', 1]]), listing, options);
    expect(plan.deletes.files).toEqual(['extra.txt', 'old/deep/x.txt']);
    expect(plan.deletes.directories).toEqual(['old/deep', 'old', 'empty']);
    expect(plan.clearFirst).toEqual({ files: [], directories: [] });
    expect(countsOf(plan).deleted).toBe(2);
  });

  it('never writes or deletes excluded paths, nor the folders holding them', () => {
    const listing = [
      dir('.github'),
      dir('.github/workflows'),
      listed('.github/workflows/ci.yml'),
      dir('.git'),
      listed('.git/config'),
    ];
    const plan = planSync([file('.github/workflows/ci.yml'), file('a.txt')], undefined, listing, options);
    expect(plan.writes.map((w) => w.path)).toEqual(['a.txt']);
    expect(plan.deletes).toEqual({ files: [], directories: [] });
    expect(plan.skipped).toEqual([{ path: '.github/workflows/ci.yml', reason: 'excluded by SYNC_EXCLUDE' }]);
  });

  it('excludes the dotfiles inside an excluded folder too, and keeps them where nothing excludes them', () => {
    const tree = [file('private/.env'), file('private/.keys/id'), file('private/notes.md'), file('.env')];
    const plan = planSync(tree, undefined, [], { ...options, exclude: ['private/**'] });
    expect(plan.writes.map((w) => w.path)).toEqual(['.env']);
    expect(plan.skipped.map((s) => s.path).sort()).toEqual([
      'private/.env',
      'private/.keys/id',
      'private/notes.md',
    ]);
  });

  it('skips and lists symlinks, submodules, names Azure Files cannot hold and case collisions', () => {
    const tree = [
      file('README.md', 1),
      file('readme.md', 2),
      file('Docs/a.md', 3),
      file('docs/b.md', 4),
      file('aux.txt'),
      file('ends-with-dot.'),
      file('what?.txt'),
      file('link', 5, '120000'),
      file('vendor/lib', 6, '160000'),
      file('ok #%+ é.txt'),
    ];
    const plan = planSync(tree, undefined, [], options);
    expect(plan.writes.map((w) => w.path).sort()).toEqual(['Docs/a.md', 'README.md', 'ok #%+ é.txt']);
    const reasons = Object.fromEntries(plan.skipped.map((s) => [s.path, s.reason]));
    expect(reasons).toEqual({
      'readme.md': 'case-insensitive collision with README.md',
      'docs/b.md': 'case-insensitive collision with Docs',
      'aux.txt': 'reserved name "aux.txt"',
      'ends-with-dot.': 'name ends with a dot or a space',
      'what?.txt': expect.stringContaining('character Azure Files cannot hold'),
      link: 'symbolic link (not followed)',
      'vendor/lib': 'submodule',
    });
    expect(plan.directories).toEqual(['Docs']);
  });

  it('gives each skipped entry its own reason, skips modes it cannot write, and checks every folder up the path', () => {
    const tree = [
      file('Docs/a.md', 1),
      file('Link', 2),
      file('README.md', 3),
      // Only the folder two levels up clashes: the folder in between is new.
      file('docs/sub/b.md', 4),
      // A link or submodule whose name clashes is skipped for what it is, not for the clash.
      file('link', 5, '120000'),
      file('readme.md', 6, '160000'),
      // What a tree entry would look like if ls-tree ever listed one: nothing to write.
      file('tools', 7, '040000', 0),
    ];
    const plan = planSync(tree, undefined, [], options);
    expect(plan.writes.map((w) => w.path)).toEqual(['Docs/a.md', 'Link', 'README.md']);
    expect(plan.skipped).toEqual([
      { path: 'docs/sub/b.md', reason: 'case-insensitive collision with Docs' },
      { path: 'link', reason: 'symbolic link (not followed)' },
      { path: 'readme.md', reason: 'submodule' },
      { path: 'tools', reason: 'unsupported git mode 040000' },
    ]);
    expect(plan.directories).toEqual(['Docs']);
  });

  it('plans the same whatever order the store lists its entries in', () => {
    const listing = [
      dir('c'),
      dir('a'),
      dir('d'),
      dir('b'),
      dir('a/x'),
      dir('b/x'),
      listed('c/old.txt'),
      listed('a/x/old.txt'),
      listed('keep.txt'),
    ];
    const plans = [listing, [...listing].reverse(), [...listing.slice(4), ...listing.slice(0, 4)]].map((l) =>
      planSync([file('keep.txt'), file('new/n.txt')], undefined, l, options),
    );
    expect(plans[0]!.deletes).toEqual({
      files: ['a/x/old.txt', 'c/old.txt'],
      directories: expect.arrayContaining(['a/x', 'b/x', 'a', 'b', 'c', 'd']),
    });
    expect(plans[1]).toEqual(plans[0]);
    expect(plans[2]).toEqual(plans[0]);
  });

  it.each([
    ['true for one new file in one new folder', [file('a/x.txt')], [], true],
    ['true for an empty folder left in the store', [], [dir('old')], true],
    ['true for a stray file in the store', [], [listed('stray.txt')], true],
    ['false for a store already equal to the tree', [], [], false],
  ])('hasChanges is %s', (_, tree, listing, changes) => {
    expect(hasChanges(planSync(tree, undefined, listing, options))).toBe(changes);
  });

  it('clears a file standing where a folder must go, and a folder where a file must go, before writing', () => {
    const listing = [listed('a'), dir('b'), listed('b/old.txt')];
    const plan = planSync([file('a/inner.txt'), file('b')], undefined, listing, options);
    expect(plan.clearFirst).toEqual({ files: ['a', 'b/old.txt'], directories: ['b'] });
    expect(plan.directories).toEqual(['a']);
    expect(plan.writes.map((w) => [w.path, w.kind])).toEqual([
      ['a/inner.txt', 'add'],
      ['b', 'add'],
    ]);
  });

  it('clears the old spelling first on a case-only rename, since Azure Files would see one name', () => {
    const listing = [dir('Docs'), listed('Docs/a.md'), listed('README.md')];
    const plan = planSync(
      [file('docs/a.md'), file('Readme.md')],
      manifestOf([
        ['Docs/a.md', 1],
        ['README.md', 2],
      ]),
      listing,
      options,
    );
    expect(plan.clearFirst).toEqual({ files: ['Docs/a.md', 'README.md'], directories: ['Docs'] });
    expect(plan.directories).toEqual(['docs']);
    expect(plan.deletes).toEqual({ files: [], directories: [] });
  });
});

describe('planSync at scale', () => {
  // Issue 10: per-file overhead. A 100,000-file resync (every file unchanged) must not hold more than
  // the plan needs: the unchanged files are the manifest's own entry objects, no copies.
  it('plans 100,000 unchanged files reusing the manifest entries, in path order without copying', () => {
    const paths = Array.from({ length: 100_000 }, (_, i) => `d${i % 1000}/file-${i}.bin`);
    paths.sort();
    const tree = paths.map((path, i) => file(path, i));
    const manifest = manifestOf(paths.map((path, i): [string, number] => [path, i]));
    const folders = new Set(paths.map((path) => path.slice(0, path.indexOf('/'))));
    const listing = [...[...folders].map(dir), ...paths.map((path) => listed(path))];
    const plan = planSync(tree, manifest, listing, options);
    expect(plan.writes).toEqual([]);
    expect(hasChanges(plan)).toBe(false);
    expect(countsOf(plan).unchanged).toBe(100_000);
    for (const path of [paths[0]!, paths[50_000]!, paths[99_999]!]) {
      expect(plan.unchanged[path]).toBe(manifest.files[path]);
    }
  });

  it('keeps the first spelling across folders when the tree is not in path order', () => {
    const plan = planSync(
      [file('b/x.txt'), file('A/y.txt'), file('a/z.txt'), file('B/w.txt')],
      undefined,
      [],
      options,
    );
    expect(plan.writes.map((w) => w.path)).toEqual(['A/y.txt', 'B/w.txt']);
    expect(plan.skipped.map((s) => s.reason)).toEqual([
      'case-insensitive collision with A',
      'case-insensitive collision with B',
    ]);
  });

  it('sorts a tree listed in reverse byte order before the first spelling wins', () => {
    const plan = planSync([file('b/x.txt'), file('B/y.txt')], undefined, [], options);
    expect(plan.writes.map((w) => w.path)).toEqual(['B/y.txt']);
    expect(plan.skipped).toEqual([{ path: 'b/x.txt', reason: 'case-insensitive collision with B' }]);
  });
});

describe('manifest format', () => {
  const bytesOf = (manifest: Manifest) => Buffer.concat([...manifestPieces(manifest)]);
  const read = (text: string | Buffer) => parseManifest(Readable.from([Buffer.from(text)]));
  const odd = manifestOf([
    ['a.txt', 1],
    ['__proto__', 2],
    ['line\nbreak "quoted" é.txt', 3, '100755'],
    ['constructor', 4],
  ]);

  it('writes one file per line as compact arrays, and reads it back whole', async () => {
    const text = bytesOf({ ...odd, fullListingAt: '2026-01-01T00:00:00.000Z' }).toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(4 + 2);
    expect(lines[1]).toBe(`["a.txt","${sha(1)}","100644",10,"\\"a.txt\\""],`);
    expect(JSON.parse(text)).toMatchObject({ version: 2, commit: sha(999), files: expect.any(Array) });
    const back = await read(text);
    expect(back).toEqual({ ...odd, version: 2, fullListingAt: '2026-01-01T00:00:00.000Z' });
    expect(Object.getPrototypeOf(back!.files)).toBeNull();
    expect(back!.files['__proto__']).toEqual({ sha: sha(2), mode: '100644', size: 10, etag: '"__proto__"' });
  });

  it('reads format 1 and a format 2 document re-serialised on one line', async () => {
    const v1 = { ...odd, files: { 'a.txt': odd.files['a.txt'], 'b/c.txt': odd.files['a.txt'] } };
    expect(await read(JSON.stringify(v1))).toEqual(v1);
    const oneLine = JSON.stringify(JSON.parse(bytesOf(odd).toString('utf8')));
    expect(await read(oneLine)).toEqual({ ...odd, version: 2 });
  });

  it('reads a manifest split anywhere across chunks, and 100,000 files', async () => {
    const many = manifestOf(
      Array.from({ length: 100_000 }, (_, i): [string, number] => [`d${i % 100}/f-${i}`, i]),
    );
    const bytes = bytesOf(many);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 777) }, (_, i) =>
      bytes.subarray(i * 777, (i + 1) * 777),
    );
    const back = await parseManifest(Readable.from(chunks));
    expect(Object.keys(back!.files)).toHaveLength(100_000);
    expect(back!.files['d42/f-4242']).toEqual(many.files['d42/f-4242']);
  });

  it('is undefined for an empty blob (the lease blob before the first sync) and an unknown version', async () => {
    expect(await read('')).toBeUndefined();
    expect(await read(JSON.stringify({ ...odd, version: 3 }))).toBeUndefined();
  });
});
