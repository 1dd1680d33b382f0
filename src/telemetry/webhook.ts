// What became of a webhook delivery, as the event the workbook counts (webhook.accepted, .ignored,
// .rejected, .duplicate) and the webhook.outcome metric.

import { event, metric } from './telemetry.js';

export type WebhookOutcome = 'accepted' | 'ignored' | 'rejected' | 'duplicate';

export interface WebhookDimensions {
  /** X-GitHub-Delivery. */
  deliveryId?: string;
  /** X-GitHub-Event (`event` itself is the telemetry event's name). */
  githubEvent?: string;
  /** Why it was ignored or rejected, in a word or two (`other-branch`, `invalid-signature`). */
  reason?: string;
  jobId?: string;
  commit?: string;
  errorCode?: string;
}

export function webhookOutcome(outcome: WebhookOutcome, dimensions: WebhookDimensions = {}): void {
  event(`webhook.${outcome}`, { ...dimensions });
  metric('webhook.outcome', 1, { outcome });
}
