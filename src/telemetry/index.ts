// Structured telemetry: one naming scheme (names.ts), one small API (event, metric) and the
// ready-made calls for the places events happen. setup.ts, imported first by src/index.ts, decides
// where it all goes.

export { event, metric, type Dimensions } from './telemetry.js';
export { EVENTS, METRICS, type EventName, type MetricName } from './names.js';
export { syncLogger, type SyncLog } from './sync.js';
export { webhookOutcome, type WebhookOutcome, type WebhookDimensions } from './webhook.js';
export { connectionChanged, type ConnectionAction, type ConnectionDimensions } from './connection.js';
