// The small API every caller uses: `event(name, dimensions)` is one log record (a trace in
// Application Insights, the dimensions in customDimensions next to `event` = name) and
// `metric(name, value, dimensions)` is one measurement. Both go through the global OpenTelemetry
// providers that setup.ts installs (Azure Monitor in Azure, one JSON line per event locally);
// before that, or in a process that never sets them up, they cost nothing and go nowhere.

import { metrics, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { EVENTS, METRICS, type EventName, type MetricName } from './names.js';
import { scrubDimensions, scrubText, type Dimensions } from './secrets.js';

export type { Dimensions, DimensionValue } from './secrets.js';

/** The instrumentation scope of everything the app itself reports. */
export const SCOPE = 'workspace-sync';

/**
 * Emits the event. `message` is the human line (the trace's `message` column; an error's text for
 * failures); it defaults to the event name. Secrets are stripped from both.
 */
export function event(name: EventName, dimensions: Dimensions = {}, message?: string): void {
  logs.getLogger(SCOPE).emit({
    severityNumber: EVENTS[name],
    body: message === undefined ? name : scrubText(message),
    attributes: { ...scrubDimensions(dimensions), event: name },
  });
}

/** Records one measurement: a count added, or a value into the histogram. */
export function metric(name: MetricName, value: number, dimensions: Dimensions = {}): void {
  if (!Number.isFinite(value)) return;
  const instrument = instrumentFor(metrics.getMeter(SCOPE), name);
  const attributes = scrubDimensions(dimensions);
  if ('add' in instrument) instrument.add(value, attributes);
  else instrument.record(value, attributes);
}

/** One instrument per name and meter: creating it again on every call would be wasted work. */
const instruments = new WeakMap<Meter, Map<MetricName, Counter | Histogram>>();

function instrumentFor(meter: Meter, name: MetricName): Counter | Histogram {
  let byName = instruments.get(meter);
  if (!byName) instruments.set(meter, (byName = new Map()));
  let instrument = byName.get(name);
  if (!instrument) {
    const { kind, unit } = METRICS[name];
    instrument =
      kind === 'counter' ? meter.createCounter(name, { unit }) : meter.createHistogram(name, { unit });
    byName.set(name, instrument);
  }
  return instrument;
}
