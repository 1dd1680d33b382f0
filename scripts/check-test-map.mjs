#!/usr/bin/env node
// Keeps docs/testing.md honest: every test it names must still exist.
//
// The map names a test as `tests/path/file.test.ts` › `describe › it` (two code spans joined by " › ").
// This script reads the map with a Markdown parser (so `\|` inside a table cell is a plain "|"), then reads
// each test file with the TypeScript parser and collects the titles of its describe/it/test calls, joined
// with " › " the way the map writes them. A title that is a string literal is taken as is; any other title
// (a template, a variable, an it.each pattern such as '%s store') is taken as written in the source, with a
// bare expression written as `${expr}`, so the map can name a parameterised test by its pattern. A name may
// also be a describe block's, standing for the whole block.
//
//   node scripts/check-test-map.mjs                  check docs/testing.md; exit 1 listing what is stale
//   node scripts/check-test-map.mjs --list [FILES]   print every test name the checker sees (to write the map)
//   --map PATH --root DIR                            another map or checkout (the checker's own tests use these)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marked } from 'marked';
import ts from 'typescript';

const SEPARATOR = ' › ';
// A test file's path, plainly spelled: a glob (tests/unit/**/*.test.ts) or a placeholder is not a reference.
const TEST_FILE = /^tests\/[\w.-]+(?:\/[\w.-]+)*\.test\.ts$/;
const TEST_FUNCTIONS = new Set(['describe', 'it', 'test']);
/** Chained modifiers that keep the call a test or suite: it.only(...), describe.concurrent(...). */
const MODIFIERS = new Set(['only', 'skip', 'todo', 'concurrent', 'sequential', 'fails', 'shuffle']);
/** Modifiers that return the test function to call next: it.each(table)('title', fn), it.skipIf(x)(...). */
const FACTORIES = new Set(['each', 'for', 'skipIf', 'runIf']);

/** 'describe' | 'it' | 'test' when `callee` is one of them, possibly behind modifiers; else undefined. */
function testFunctionOf(callee) {
  if (ts.isIdentifier(callee)) return TEST_FUNCTIONS.has(callee.text) ? callee.text : undefined;
  if (ts.isPropertyAccessExpression(callee) && MODIFIERS.has(callee.name.text))
    return testFunctionOf(callee.expression);
  if (ts.isCallExpression(callee) && ts.isPropertyAccessExpression(callee.expression)) {
    if (FACTORIES.has(callee.expression.name.text)) return testFunctionOf(callee.expression.expression);
  }
  return undefined;
}

/** A title as the map writes it: a literal's text, or the source as written (a bare expression as `${expr}`). */
function titleOf(node, source) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  const text = node.getText(source);
  if (ts.isTemplateExpression(node)) return text.slice(1, -1);
  return '${' + text + '}';
}

/** Every describe/it/test full name in one test file's source, suites included, in source order. */
export function testNamesIn(code, fileName = 'test.ts') {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names = [];
  const visit = (node, parents) => {
    if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const kind = testFunctionOf(node.expression);
      if (kind) {
        const path = [...parents, titleOf(node.arguments[0], source)];
        names.push({ name: path.join(SEPARATOR), kind: kind === 'describe' ? 'suite' : 'test' });
        for (const argument of node.arguments.slice(1)) visit(argument, path);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, parents));
  };
  visit(source, []);
  return names;
}

/** Inline tokens of every paragraph, table cell, list item and heading, with the line they start on. */
function inlineRuns(markdown) {
  const runs = [];
  const lineOf = (raw, from) => markdown.slice(0, markdown.indexOf(raw, from)).split('\n').length;
  let offset = 0;
  const walk = (tokens) => {
    for (const token of tokens) {
      if (token.type === 'table') {
        const line = lineOf(token.raw, offset);
        token.rows.forEach((row, index) =>
          row.forEach((cell) => runs.push({ tokens: cell.tokens, line: line + 2 + index })),
        );
      } else if (token.type === 'paragraph' || token.type === 'heading' || token.type === 'text') {
        if (token.tokens) runs.push({ tokens: token.tokens, line: lineOf(token.raw, offset) });
      } else if (token.type === 'list') {
        for (const item of token.items) walk(item.tokens);
      } else if (token.type === 'blockquote') {
        walk(token.tokens);
      }
    }
  };
  for (const token of marked.lexer(markdown)) {
    walk([token]);
    offset = markdown.indexOf(token.raw, offset) + token.raw.length;
  }
  return runs;
}

/**
 * Every test the map names: { file, name?, line }. A code span holding a test file's path is a reference;
 * when the text right after it is " › " and a code span follows, that span is the test's name.
 */
export function referencesIn(markdown) {
  const references = [];
  for (const { tokens, line } of inlineRuns(markdown)) {
    tokens.forEach((token, index) => {
      if (token.type !== 'codespan' || !TEST_FILE.test(token.text)) return;
      const joiner = tokens[index + 1];
      const title = tokens[index + 2];
      const named = joiner?.type === 'text' && joiner.text.trim() === '›' && title?.type === 'codespan';
      references.push({ file: token.text, name: named ? title.text : undefined, line });
    });
  }
  return references;
}

/** The references in `mapPath` whose file or test no longer exists under `root`, each with the reason. */
export function staleReferences(root, mapPath) {
  const namesByFile = new Map();
  const namesOf = (file) => {
    if (!namesByFile.has(file)) {
      const path = join(root, file);
      namesByFile.set(
        file,
        existsSync(path)
          ? new Set(testNamesIn(readFileSync(path, 'utf8'), path).map((t) => t.name))
          : undefined,
      );
    }
    return namesByFile.get(file);
  };
  const references = referencesIn(readFileSync(mapPath, 'utf8'));
  const stale = [];
  for (const reference of references) {
    const names = namesOf(reference.file);
    if (!names) stale.push({ ...reference, reason: 'no such file' });
    else if (reference.name !== undefined && !names.has(reference.name))
      stale.push({ ...reference, reason: 'no such test' });
  }
  return { references, stale };
}

function describeReference({ file, name, line, reason }) {
  return `  docs/testing.md:${line}: ${reason}: ${file}${name === undefined ? '' : SEPARATOR + name}`;
}

function main(argv) {
  const option = (flag) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv.splice(index, 2)[1] : undefined;
  };
  const root = resolve(option('--root') ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const mapPath = resolve(root, option('--map') ?? 'docs/testing.md');
  if (argv[0] === '--list') {
    for (const file of argv.slice(1)) {
      for (const { name, kind } of testNamesIn(readFileSync(resolve(root, file), 'utf8'), file)) {
        console.log(`${kind === 'suite' ? 'S' : 'T'} \`${file}\`${SEPARATOR}\`${name}\``);
      }
    }
    return 0;
  }
  const { references, stale } = staleReferences(root, mapPath);
  if (stale.length === 0) {
    console.log(`${mapPath}: all ${references.length} test references resolve`);
    return 0;
  }
  console.error(`${mapPath}: ${stale.length} of ${references.length} test references are stale:`);
  for (const reference of stale) console.error(describeReference(reference));
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
