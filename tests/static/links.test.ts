// Every relative link in README.md and docs/**/*.md must lead somewhere: to a file or folder
// that exists and, when it names a #fragment in a Markdown file, to a heading there. Anchors
// follow GitHub's rules (github-slugger is the implementation GitHub's own renderer mirrors):
// the heading's text, lower-cased, punctuation dropped, spaces to hyphens, "-1", "-2", ... for
// repeats. Links are found with a Markdown parser, so examples inside code are not links.
//
// docs/settings.md is checked against what it documents: its settings table names exactly the
// settings src/config.ts reads, and its host.json table covers every key of host.json with the
// value the file holds, so neither can drift from the code.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { marked, type Token, type Tokens } from 'marked';
import { afterEach, describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../src/config.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface DeadLink {
  file: string;
  href: string;
  reason: string;
}

/** README.md and every Markdown file under docs/, relative to `base`. */
function markdownFiles(base: string): string[] {
  const docs = join(base, 'docs');
  const underDocs = existsSync(docs)
    ? readdirSync(docs, { recursive: true, encoding: 'utf8' })
        .filter((path) => path.endsWith('.md'))
        .map((path) => join('docs', path))
    : [];
  return ['README.md', ...underDocs.sort()];
}

/** The text a heading renders to: code spans keep their content, markup and HTML tags go. */
function plainText(tokens: Token[]): string {
  return tokens
    .map((token) => {
      if (token.type === 'html') return '';
      if ('tokens' in token && token.tokens) return plainText(token.tokens);
      return 'text' in token ? String(token.text) : '';
    })
    .join('');
}

/** The anchors GitHub gives a Markdown document: one per heading, plus explicit HTML ids. */
function anchorsOf(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  marked.walkTokens(marked.lexer(markdown), (token) => {
    if (token.type === 'heading') anchors.add(slugger.slug(plainText(token.tokens ?? [])));
  });
  for (const match of markdown.matchAll(/<a\s[^>]*\b(?:name|id)="([^"]+)"/g)) anchors.add(match[1]);
  return anchors;
}

/** Link targets written in a Markdown document (inline, reference-style, in tables and lists). */
function linksOf(markdown: string): string[] {
  const hrefs: string[] = [];
  marked.walkTokens(marked.lexer(markdown), (token) => {
    if (token.type === 'link' || token.type === 'image') hrefs.push(token.href);
  });
  return hrefs;
}

const isExternal = (href: string) => /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//');

/** Relative links in `file` (relative to `base`) that lead to no file, folder or heading. */
function deadLinks(base: string, file: string): DeadLink[] {
  const source = join(base, file);
  const dead: DeadLink[] = [];
  for (const href of linksOf(readFileSync(source, 'utf8'))) {
    if (isExternal(href)) continue;
    const [pathPart, fragment] = href.split(/#(.*)/s, 2);
    const path = decodeURIComponent(pathPart.split('?')[0]);
    const target =
      path === '' ? source : path.startsWith('/') ? join(base, path) : resolve(dirname(source), path);
    if (relative(base, target).startsWith('..')) {
      dead.push({ file, href, reason: 'outside the repository' });
      continue;
    }
    if (!existsSync(target)) {
      dead.push({ file, href, reason: 'no such file' });
      continue;
    }
    if (!fragment) continue;
    if (!statSync(target).isFile() || !target.endsWith('.md')) {
      // GitHub's only anchors in a file it shows as code are line numbers.
      if (!/^L\d+(-L\d+)?$/.test(fragment))
        dead.push({ file, href, reason: 'no such anchor outside Markdown' });
      continue;
    }
    if (!anchorsOf(readFileSync(target, 'utf8')).has(decodeURIComponent(fragment))) {
      dead.push({ file, href, reason: `no heading #${fragment} in ${relative(base, target)}` });
    }
  }
  return dead;
}

describe('Markdown links', () => {
  const files = markdownFiles(root);

  it('covers the README and the docs folder', () => {
    expect(files).toContain('README.md');
    expect(files.filter((file) => file.startsWith('docs/')).length).toBeGreaterThan(0);
    const relativeLinks = files
      .flatMap((file) => linksOf(readFileSync(join(root, file), 'utf8')))
      .filter((href) => !isExternal(href));
    expect(relativeLinks.length).toBeGreaterThan(0);
  });

  it.each(files)('%s has no dead relative link', (file) => {
    expect(deadLinks(root, file)).toEqual([]);
  });
});

describe('GitHub heading anchors', () => {
  it('slugs headings as GitHub does', () => {
    const anchors = anchorsOf(
      [
        '# workspace-sync',
        '## Run it locally (`npm start`)',
        '### 1. Push the image',
        '## `host.json`, and why',
        '## Tests',
        '## Tests',
        '## Health: `GET /api/health` (anonymous)',
        '## A [link](x.md) & <b>bold</b> Ünïcode',
        '```md',
        '# not a heading',
        '```',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'workspace-sync',
      'run-it-locally-npm-start',
      '1-push-the-image',
      'hostjson-and-why',
      'tests',
      'tests-1',
      'health-get-apihealth-anonymous',
      'a-link--bold-ünïcode',
    ]);
  });
});

describe('the dead-link check', () => {
  let base: string;
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  function tree(files: Record<string, string>): string {
    base = mkdtempSync(join(tmpdir(), 'links-'));
    for (const [path, text] of Object.entries(files)) {
      const file = join(base, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    return base;
  }

  it('reports a missing file, a missing heading and an anchor in a non-Markdown file, and nothing else', () => {
    tree({
      'README.md': [
        '[ok](docs/guide.md) [ok](docs/guide.md#set-it-up) [ok](#top) [ok](docs/) [ok](./scripts/run.sh)',
        '[ok](https://example.com/x.md) [ok](mailto:a@example.com) `[not a link](gone.md)`',
        '[ok](scripts/run.sh#L1) [dead](docs/deploy.md) [dead](docs/guide.md#tear-it-down) [dead](scripts/run.sh#main)',
        '[dead][ref]',
        '',
        '[ref]: docs/missing.md',
        '',
        '# Top',
      ].join('\n'),
      'docs/guide.md':
        '# Guide\n\n## Set it up\n\n[ok](../README.md#top) [dead](other.md) [dead](../../x.md)\n',
      'scripts/run.sh': 'echo\n',
    });
    expect(markdownFiles(base)).toEqual(['README.md', 'docs/guide.md']);
    expect(deadLinks(base, 'README.md')).toEqual([
      { file: 'README.md', href: 'docs/deploy.md', reason: 'no such file' },
      {
        file: 'README.md',
        href: 'docs/guide.md#tear-it-down',
        reason: 'no heading #tear-it-down in docs/guide.md',
      },
      { file: 'README.md', href: 'scripts/run.sh#main', reason: 'no such anchor outside Markdown' },
      { file: 'README.md', href: 'docs/missing.md', reason: 'no such file' },
    ]);
    expect(deadLinks(base, 'docs/guide.md')).toEqual([
      { file: 'docs/guide.md', href: 'other.md', reason: 'no such file' },
      { file: 'docs/guide.md', href: '../../x.md', reason: 'outside the repository' },
    ]);
  });
});

/** The first column (a code span) and the second of each table row under the `##` heading `section`. */
function tableRows(markdown: string, section: string): [string, string][] {
  const rows: [string, string][] = [];
  let inSection = false;
  for (const token of marked.lexer(markdown)) {
    if (token.type === 'heading' && token.depth <= 2) inSection = plainText(token.tokens ?? []) === section;
    if (!inSection || token.type !== 'table') continue;
    for (const row of (token as Tokens.Table).rows) {
      rows.push([plainText(row[0]!.tokens), plainText(row[1]!.tokens)]);
    }
  }
  return rows;
}

/** `a.b."C.d"` → ['a', 'b', 'C.d']. */
const segments = (path: string) => [...path.matchAll(/"([^"]+)"|([^.]+)/g)].map((m) => m[1] ?? m[2]!);

/** Every leaf of a JSON object as [path segments, value]. */
function leaves(value: unknown, path: string[] = []): [string[], unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [[path, value]];
  return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
}

describe('docs/settings.md', () => {
  const markdown = readFileSync(join(root, 'docs/settings.md'), 'utf8');

  it('describes exactly the settings src/config.ts reads', () => {
    const documented = tableRows(markdown, 'App settings').map(([name]) => name);
    expect(documented.length).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it('gives a reason for every host.json key, with the value host.json holds', () => {
    const hostJson = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as Record<string, unknown>;
    const rows = tableRows(markdown, 'host.json, and why').map(([name, value]) => ({
      path: segments(name),
      value,
    }));
    expect(rows.length).toBeGreaterThan(0);
    const isPrefix = (prefix: string[], path: string[]) => prefix.every((segment, i) => path[i] === segment);
    for (const [path, value] of leaves(hostJson).filter(([path]) => path[0] !== 'version')) {
      const row = rows.find((candidate) => isPrefix(candidate.path, path));
      expect(row, `no row for host.json ${path.join('.')}`).toBeDefined();
      if (row!.path.length === path.length) {
        expect(row!.value, path.join('.')).toBe(typeof value === 'string' ? value : JSON.stringify(value));
      }
    }
    const paths = leaves(hostJson).map(([path]) => path);
    for (const row of rows) {
      expect(
        paths.some((path) => isPrefix(row.path, path)),
        `${row.path.join('.')} is not in host.json`,
      ).toBe(true);
    }
  });
});
