// fast-check generators of client paths an attacker would try (traversal, encodings, separators,
// reserved and invalid Azure Files names), mixed with harmless ones so some requests succeed.

import fc from 'fast-check';

export const hostileSegment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '',
    '%2e%2e',
    '%2E%2e',
    '.%2e',
    '%2e.',
    '%252e%252e',
    '%2f',
    '%2F',
    '%5c',
    '%5C',
    '..%2f',
    '%00',
    '\\',
    '..\\..',
    'C:',
    'c:\\windows',
    '\u0000',
    '\n',
    '\u007f',
    'CON',
    'nul.txt',
    'LPT1',
    'a:b',
    'x*',
    'q?',
    'trail.',
    'trail ',
    'x'.repeat(256),
    'ok',
    'file.txt',
    'dir',
    '%',
    '100%',
    '%zz',
    'outside',
    'secret.txt',
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

export const hostilePath = fc
  .tuple(
    fc.constantFrom('', '/', '//', '\\', '../', '%2e%2e/'),
    fc.array(fc.tuple(hostileSegment, fc.constantFrom('/', '/', '\\', '%2f')), {
      minLength: 1,
      maxLength: 5,
    }),
  )
  .map(
    ([lead, parts]) =>
      lead +
      parts
        .map(([segment, separator]) => segment + separator)
        .join('')
        .slice(0, -1),
  );
