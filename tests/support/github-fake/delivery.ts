// GitHub's delivery side: POST an event to a hook the way Hookshot does
// (https://docs.github.com/webhooks/webhook-events-and-payloads#delivery-headers): X-GitHub-Event,
// X-GitHub-Delivery (a GUID), X-GitHub-Hook-ID, X-GitHub-Hook-Installation-Target-ID/-Type,
// X-Hub-Signature-256 (HMAC-SHA256) and the legacy X-Hub-Signature (HMAC-SHA1) when a secret is set,
// User-Agent GitHub-Hookshot/<hex>, and the body as JSON or as a `payload=` form field.
// Each attempt is recorded (status, duration) for the deliveries endpoint and the hook's last_response.
// Deliveries go only to loopback addresses: any other URL is recorded as a failed connection, unsent.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { DeliveryRecord, FakeHook, FakeRepository } from './state.js';

const DELIVERY_TIMEOUT_MS = 10_000; // GitHub abandons a delivery after 10 seconds.
const HOOKSHOT_VERSION = randomBytes(4).toString('hex').slice(0, 7);

function isLoopback(url: URL): boolean {
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    (url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname))
  );
}

function encodeBody(hook: FakeHook, payload: Record<string, unknown>): { body: Buffer; contentType: string } {
  const json = JSON.stringify(payload);
  return hook.config.content_type === 'form'
    ? {
        body: Buffer.from(new URLSearchParams({ payload: json }).toString()),
        contentType: 'application/x-www-form-urlencoded',
      }
    : { body: Buffer.from(json), contentType: 'application/json' };
}

function deliveryHeaders(
  hook: FakeHook,
  repository: FakeRepository,
  event: string,
  guid: string,
  body: Buffer,
  contentType: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    Accept: '*/*',
    'Content-Type': contentType,
    'User-Agent': `GitHub-Hookshot/${HOOKSHOT_VERSION}`,
    'X-GitHub-Delivery': guid,
    'X-GitHub-Event': event,
    'X-GitHub-Hook-ID': String(hook.id),
    'X-GitHub-Hook-Installation-Target-ID': String(repository.id),
    'X-GitHub-Hook-Installation-Target-Type': 'repository',
  };
  const secret = hook.config.secret;
  if (secret) {
    headers['X-Hub-Signature'] = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
    headers['X-Hub-Signature-256'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  }
  return headers;
}

async function post(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ statusCode: number; status: string; responseBody: string }> {
  if (!isLoopback(url)) return { statusCode: 0, status: 'failed to connect to host', responseBody: '' };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    const responseBody = await response.text();
    const ok = response.status >= 200 && response.status < 300;
    return {
      statusCode: response.status,
      status: ok ? 'OK' : `Invalid HTTP Response: ${response.status}`,
      responseBody,
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return { statusCode: 0, status: timedOut ? 'timed out' : 'failed to connect to host', responseBody: '' };
  }
}

export async function deliver(
  hook: FakeHook,
  repository: FakeRepository,
  event: string,
  payload: Record<string, unknown>,
  newId: () => number,
): Promise<DeliveryRecord> {
  const guid = randomUUID();
  const { body, contentType } = encodeBody(hook, payload);
  const requestHeaders = deliveryHeaders(hook, repository, event, guid, body, contentType);
  const started = performance.now();
  const deliveredAt = new Date();
  const outcome = await post(new URL(hook.config.url), requestHeaders, body);
  const record: DeliveryRecord = {
    id: newId(),
    guid,
    event,
    deliveredAt,
    duration: Math.round(performance.now() - started) / 1000,
    requestHeaders,
    requestBody: body,
    payload,
    ...outcome,
  };
  hook.deliveries.push(record);
  hook.lastResponse = {
    code: outcome.statusCode === 0 ? null : outcome.statusCode,
    status: 'active',
    message: outcome.status,
  };
  return record;
}
