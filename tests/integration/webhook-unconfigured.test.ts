import { afterAll, beforeAll, expect, it } from 'vitest';
import { sign } from '../../src/github/signature.js';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ GITHUB_WEBHOOK_SECRET: '' });
});
afterAll(() => harness?.stop());

it('answers 500 WEBHOOK_SECRET_NOT_CONFIGURED and logs it when the secret is missing, never bypassing the check', async () => {
  const { githubWebhook } = await import('../../src/functions/githubWebhook.js');
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: 'a'.repeat(40),
    repository: { full_name: 'a/b' },
  });
  const response = await githubWebhook(
    harness.request({
      method: 'POST',
      url: 'http://localhost/api/github/webhook',
      headers: {
        'x-github-event': 'push',
        'x-hub-signature-256': sign('', body),
        'content-type': 'application/json',
      },
      body: { string: body },
    }),
    harness.context(),
  );
  expect(response.status).toBe(500);
  expect(response.jsonBody).toMatchObject({ error: { code: 'WEBHOOK_SECRET_NOT_CONFIGURED' } });
  expect(harness.logs.join('\n')).toContain('no webhook secret is configured');
  expect(await harness.queueMessages('workspace-sync')).toEqual([]);
});
