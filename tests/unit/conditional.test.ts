// Table tests for the conditional-request rules in src/workspace/conditional.ts, per RFC 9110:
// §8.8.3.2 (strong vs weak comparison), §13.1.1 (If-Match: strong), §13.1.2 (If-None-Match: weak),
// §14.2 (Range). The app does not implement If-Modified-Since (§13.1.3): the file API answers 304
// from If-None-Match only, which §13.1.3 lets a server prefer, so there is no date rule to test.

import { describe, expect, it } from 'vitest';
import {
  ifMatchHolds,
  noneMatchFails,
  parseEtagCondition,
  parseRange,
  type EtagCondition,
} from '../../src/workspace/conditional.js';

describe('parseEtagCondition', () => {
  it.each<[string | null | undefined, EtagCondition]>([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['   ', undefined],
    ['*', '*'],
    [' * ', '*'],
    ['"a"', ['"a"']],
    ['W/"a"', ['W/"a"']],
    ['"a", W/"b",  "c"', ['"a"', 'W/"b"', '"c"']],
    ['""', ['""']],
    // A list with "*" in it is not the wildcard (§13.1.1: "*" stands alone).
    ['"a", *', ['"a"']],
    // Unquoted garbage names no tag: a condition that nothing satisfies.
    ['abc', []],
  ])('%j → %j', (header, expected) => {
    expect(parseEtagCondition(header)).toEqual(expected);
  });
});

// §8.8.3.2's table: strong comparison matches only two equal strong tags.
describe('ifMatchHolds (If-Match, strong comparison)', () => {
  it.each<[string, EtagCondition, string | undefined, boolean]>([
    ['no header: nothing to check', undefined, '"1"', true],
    ['no header on a missing file', undefined, undefined, true],
    ['"*" on an existing file', '*', '"1"', true],
    ['"*" on an existing weakly tagged file', '*', 'W/"1"', true],
    ['"*" on a missing file', '*', undefined, false],
    ['a tag on a missing file', ['"1"'], undefined, false],
    ['strong "1" against strong "1"', ['"1"'], '"1"', true],
    ['strong "1" against strong "2"', ['"1"'], '"2"', false],
    ['weak W/"1" against weak W/"1"', ['W/"1"'], 'W/"1"', false],
    ['weak W/"1" against strong "1"', ['W/"1"'], '"1"', false],
    ['strong "1" against weak W/"1"', ['"1"'], 'W/"1"', false],
    ['a list holding the current tag', ['"0"', '"1"', '"2"'], '"1"', true],
    ['a list without the current tag', ['"0"', '"2"'], '"1"', false],
    ['a list holding only the weak twin', ['"0"', 'W/"1"'], '"1"', false],
    ['an empty list (unparseable header)', [], '"1"', false],
  ])('%s', (_name, condition, current, holds) => {
    expect(ifMatchHolds(condition, current)).toBe(holds);
  });
});

// §8.8.3.2's table: weak comparison matches equal opaque tags whatever their W/ prefixes.
describe('noneMatchFails (If-None-Match, weak comparison)', () => {
  it.each<[string, EtagCondition, string | undefined, boolean]>([
    ['no header', undefined, '"1"', false],
    ['"*" on an existing file', '*', '"1"', true],
    ['"*" on a missing file (create-only may go on)', '*', undefined, false],
    ['a tag on a missing file', ['"1"'], undefined, false],
    ['strong "1" against strong "1"', ['"1"'], '"1"', true],
    ['strong "1" against strong "2"', ['"1"'], '"2"', false],
    ['weak W/"1" against weak W/"1"', ['W/"1"'], 'W/"1"', true],
    ['weak W/"1" against strong "1"', ['W/"1"'], '"1"', true],
    ['strong "1" against weak W/"1"', ['"1"'], 'W/"1"', true],
    ['weak W/"1" against weak W/"2"', ['W/"1"'], 'W/"2"', false],
    ['a list holding the current tag', ['"0"', 'W/"1"'], '"1"', true],
    ['a list without the current tag', ['"0"', '"2"'], '"1"', false],
    ['an empty list (unparseable header)', [], '"1"', false],
    // "W/" is a prefix, not a substring to strip anywhere: "xW/1" is not "x1".
    ['a tag whose opaque part contains W/', ['"xW/1"'], '"x1"', false],
  ])('%s', (_name, condition, current, fails) => {
    expect(noneMatchFails(condition, current)).toBe(fails);
  });
});

// The same header pair read both ways: If-Match and If-None-Match disagree exactly on weak tags.
describe('If-Match against If-None-Match on one weakly tagged file', () => {
  const current = 'W/"7"';
  it.each<[string, boolean, boolean]>([
    ['W/"7"', false, true],
    ['"7"', false, true],
    ['*', true, true],
    ['"8"', false, false],
  ])('%s: If-Match holds %s, If-None-Match fails %s', (header, matchHolds, noneMatchFailsToo) => {
    const condition = parseEtagCondition(header);
    expect(ifMatchHolds(condition, current)).toBe(matchHolds);
    expect(noneMatchFails(condition, current)).toBe(noneMatchFailsToo);
  });
});

describe('parseRange (RFC 9110 §14.1.2, one range of a 10-byte file)', () => {
  it.each<[string | null | undefined, ReturnType<typeof parseRange>]>([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=2-5', { start: 2, end: 5 }],
    [' bytes=2-5 ', { start: 2, end: 5 }],
    ['BYTES=2-5', { start: 2, end: 5 }],
    ['bytes=2-', { start: 2, end: 9 }],
    ['bytes=2-100', { start: 2, end: 9 }],
    ['bytes=9-9', { start: 9, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-10', { start: 0, end: 9 }],
    ['bytes=-100', { start: 0, end: 9 }],
    ['bytes=10-', 'unsatisfiable'],
    ['bytes=10-20', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    // Invalid or unsupported forms are ignored: the whole file is sent (§14.2).
    ['bytes=5-2', undefined],
    ['bytes=-', undefined],
    ['bytes=0-1,3-4', undefined],
    ['items=0-1', undefined],
    ['bytes=a-b', undefined],
    ['xbytes=0-1', undefined],
    ['bytes=0-1x', undefined],
  ])('%j → %j', (header, expected) => {
    expect(parseRange(header, 10)).toEqual(expected);
  });

  it('a suffix range of an empty file is unsatisfiable', () => {
    expect(parseRange('bytes=-1', 0)).toBe('unsatisfiable');
  });

  it('any first-byte range of an empty file is unsatisfiable', () => {
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});
