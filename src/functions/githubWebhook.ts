import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { classifyDelivery, decodePayload } from '../github/events.js';
import { verify } from '../github/signature.js';
import { acceptPush } from '../jobs/intake.js';
import { getServices } from './services.js';
import { LargeBodyGate, readGatedBody } from './body.js';
import { webhookOutcome } from '../telemetry/index.js';
import { errorResponse, json, toErrorResponse } from './http.js';

/** GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub. */
export const MAX_WEBHOOK_BODY = 25 * 1024 * 1024;

/** Bodies not yet verified: at most 4 over 1 MiB in memory at once (push payloads are mostly far smaller). */
export const unverifiedBodies = new LargeBodyGate(1024 * 1024, 4);

export async function githubWebhook(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const services = await getServices();
    const { secrets } = services;
    const setting = services.config.github.webhookSecret;
    const candidates = (list: string[] | undefined) => (list ? [...list, ...(setting ? [setting] : [])] : []);
    let known = candidates(await secrets.verifyingSecrets());
    if (known.length === 0) {
      context.error(
        'Webhook rejected: no webhook secret is configured (connect a repository, or set GITHUB_WEBHOOK_SECRET)',
      );
      return errorResponse(500, 'WEBHOOK_SECRET_NOT_CONFIGURED', 'The webhook secret is not configured');
    }
    const { chunks, release } = await readGatedBody(request, MAX_WEBHOOK_BODY, unverifiedBodies);
    const signature = request.headers.get('x-hub-signature-256');
    let verified = known.some((secret) => verify(secret, chunks, signature));
    if (!verified && signature) {
      // Another instance may have rotated the secret: read it again (rate-limited).
      known = candidates(await secrets.refetchAfterMismatch());
      verified = known.some((secret) => verify(secret, chunks, signature));
    }
    release();
    if (!verified) {
      webhookOutcome('rejected', { reason: 'invalid-signature' });
      return errorResponse(401, 'INVALID_SIGNATURE', 'Signature missing or invalid');
    }
    const body = Buffer.concat(chunks); // verified: now it may be joined and parsed
    const event = request.headers.get('x-github-event');
    const deliveryId = request.headers.get('x-github-delivery') ?? undefined;
    const delivery = classifyDelivery(event, decodePayload(body, request.headers.get('content-type')));
    if (delivery.kind === 'ping') return json(200, { ok: true });
    if (delivery.kind === 'ignored') {
      webhookOutcome('ignored', { deliveryId, githubEvent: event ?? undefined, reason: delivery.reason });
      return json(200, { ignored: delivery.reason });
    }
    const outcome = await acceptPush(services, delivery, deliveryId);
    webhookOutcome(
      outcome.kind === 'queued' ? 'accepted' : outcome.kind === 'duplicate' ? 'duplicate' : 'ignored',
      {
        deliveryId,
        jobId: outcome.kind === 'ignored' ? undefined : outcome.jobId,
        commit: delivery.after,
        reason: outcome.kind === 'ignored' ? outcome.reason : undefined,
      },
    );
    switch (outcome.kind) {
      case 'ignored':
        return json(200, { ignored: outcome.reason });
      case 'duplicate':
        return json(200, { jobId: outcome.jobId, duplicate: true });
      case 'queued':
        return json(202, { jobId: outcome.jobId }, { Location: `/api/sync/jobs/${outcome.jobId}` });
    }
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

app.http('githubWebhook', {
  route: 'github/webhook',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: githubWebhook,
});
