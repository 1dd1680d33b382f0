// DESIGN.md, sync semantics 1: each file holds exactly its blob's bytes — no .gitattributes
// filter, eol or ident conversion, no export-subst, no LFS smudge. A checkout (or `git archive`,
// the tests' former oracle) applies all of these; content read from the object database does not.

import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFiles } from '../support/gitRepos.js';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';

const ZEROS = '0'.repeat(40);
const LFS_POINTER =
  'version https://git-lfs.github.com/spec/v1\n' + `oid sha256:${'ab'.repeat(32)}\n` + 'size 104857600\n';
// A self-inverse, size-keeping filter: ROT13. Configured in the clone it is committed from (so
// `git add` runs clean) and in the bare repository (so `git archive` there runs smudge).
const ROT13 = 'tr A-Za-z N-ZA-Mn-za-m';
const rot13 = (text: string) =>
  text.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });

/** Blob bytes, committed before .gitattributes exists so `git add` stores them verbatim. */
const VERBATIM: Record<string, string | Buffer> = {
  'version.id': '$Id$\n',
  // Ident rewrites an expanded `$Id: … $` to the blob's id on checkout: same size, other bytes.
  'same-size.id': `$Id: ${ZEROS} $`,
  'lines.txt': 'one\ntwo\nthree\n',
  'detected.auto': 'text=auto finds this is text\n',
  'VERSION.ver': 'commit $Format:%H$\n',
  'model.psd': LFS_POINTER,
  // Over the buffered-read limit: this one streams from cat-file.
  'large.txt': `${'line of text\n'.repeat(200_000)}`,
  'random.bin': randomBytes(3 * 1024 * 1024 + 17),
};

const ATTRIBUTES = [
  '* text eol=crlf',
  '*.id ident',
  '*.auto text=auto eol=crlf',
  '*.secret filter=rot13',
  '*.ver export-subst',
  '*.psd filter=lfs diff=lfs merge=lfs -text',
  '*.bin -text',
  '',
].join('\n');

describe('sync writes exactly the blobs, whatever .gitattributes says', () => {
  let h: SyncHarness;
  let commit: string;
  let expected: Map<string, Buffer>;

  beforeAll(async () => {
    h = await createSyncHarness();
    await h.repo.writeAll(VERBATIM);
    await h.repo.commit('content before attributes');
    for (const dir of [h.repo.workPath, h.repo.barePath]) {
      for (const [key, value] of [
        ['filter.rot13.clean', ROT13],
        ['filter.rot13.smudge', ROT13],
        ['filter.rot13.required', 'true'],
      ]) {
        await h.repo.git(['-C', dir, 'config', key, value!]);
      }
    }
    await h.repo.write('.gitattributes', ATTRIBUTES);
    await h.repo.write('credentials.secret', 'password: hunter two\n');
    await h.repo.git(['add', '.gitattributes', 'credentials.secret']);
    await h.repo.git(['commit', '--quiet', '-m', 'attributes and a filtered file']);
    commit = await h.repo.push();
    expected = new Map(
      Object.entries({
        'README.md': '# test\n', // createTestRepo's first commit
        ...VERBATIM,
        '.gitattributes': ATTRIBUTES,
        // What `git add` stored after the clean filter.
        'credentials.secret': rot13('password: hunter two\n'),
      }).map(([path, content]) => [path, Buffer.from(content)]),
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it('the oracle is the blobs, and git archive would differ (so a checkout-based sync fails here)', async () => {
    const blobs = await h.repo.archive(commit);
    expect([...blobs.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, content] of expected) {
      expect(blobs.get(path)!.content.equals(content), `blob of ${path}`).toBe(true);
    }
    const archived = await archiveFiles(h.repo.barePath, commit);
    const changedByArchive = [...expected.keys()].filter(
      (path) => !archived.get(path)!.content.equals(expected.get(path)!),
    );
    // Everything but the LFS pointer (no lfs filter configured) and the -text binary.
    expect(changedByArchive.sort()).toEqual(
      [...expected.keys()].filter((path) => path !== 'model.psd' && path !== 'random.bin').sort(),
    );
    // The case a size check cannot catch: same length, other bytes.
    expect(archived.get('same-size.id')!.content.length).toBe(expected.get('same-size.id')!.length);
  });

  it('the workspace gets the blob bytes: no ident, eol, filter or export-subst; LFS pointers stay pointers', async () => {
    const jobId = await h.enqueue('connect');
    expect(await h.deliver()).toEqual(['succeeded']);
    expect(await h.job(jobId)).toMatchObject({ status: 'succeeded', commitSynced: commit, skippedTotal: 0 });
    for (const [path, content] of expected) {
      const written = await buffer(await h.store.read(path));
      expect(written.equals(content), `bytes of ${path}`).toBe(true);
    }
    await h.expectStoreEquals(commit, []);
  });
});
