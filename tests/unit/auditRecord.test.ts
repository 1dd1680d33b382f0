// The audit listing's query checks, which answer before the table is read: a `since` must be an
// ISO 8601 date, or a date-time with Z or an offset (docs/auth.md, "The audit trail"), and nothing
// more. Date.parse is lenient (it reads ' 2025-03-01', 'on 2025-03-01' and a leading local time),
// so each of these would otherwise become a real bound on the listing.
//
// The log is given a real SDK client aimed at a closed loopback port: a refusal never reaches it,
// and a query that wrongly got through would fail with a connection error, not INVALID_QUERY.

import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { AuditLog, AuditQueryError } from '../../src/auth/audit.js';

const unreachableTable = TableClient.fromConnectionString(
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    'TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
  'AuditLog',
  { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
);
const audit = new AuditLog(unreachableTable);

describe('AuditLog query checks', () => {
  it.each([
    ['a date after a space', ' 2025-03-01'],
    ['a date after a line break', '\n2025-03-01'],
    ['a date after words', 'on 2025-03-01'],
    ['a date after a local time', '12:00 2025-03-01'],
    ['a date followed by a space', '2025-03-01 '],
    ['a date-time followed by words', '2025-03-01T12:00:00Z please'],
  ])('refuses a since that is %s with INVALID_QUERY, before reading the table', async (_case, since) => {
    const refused = await audit.list({ since }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(AuditQueryError);
    expect(refused).toMatchObject({ code: 'INVALID_QUERY', message: expect.stringMatching(/since/) });
  });
});
