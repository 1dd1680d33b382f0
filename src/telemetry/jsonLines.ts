// Local telemetry: each event as one JSON line on stdout, `{"time":…,"event":"sync.succeeded",…}`,
// so `npm start` shows the same names and dimensions Application Insights would get.

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

export function toJsonLine(record: ReadableLogRecord): string {
  const { event, ...dimensions } = record.attributes;
  const message = record.body === event ? undefined : record.body;
  const time = new Date(record.hrTime[0] * 1000 + record.hrTime[1] / 1e6).toISOString();
  return JSON.stringify({ time, event, ...dimensions, message });
}

export class JsonLineExporter implements LogRecordExporter {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    for (const record of records) this.write(toJsonLine(record));
    done({ code: ExportResultCode.SUCCESS });
  }

  /** Lines are written as they come: nothing is ever buffered. */
  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
