// Where telemetry goes. src/index.ts imports this module before anything else, so the providers
// exist before the first function runs.
//
// With APPLICATIONINSIGHTS_CONNECTION_STRING (set in Azure by the Bicep): OpenTelemetry with the
// Azure Monitor exporters. Events become traces with customDimensions, metrics customMetrics rows.
// @azure/functions-opentelemetry-instrumentation tells the host that the worker sends its own logs
// (capability WorkerOpenTelemetryEnabled: with host.json "telemetryMode": "OpenTelemetry" the host
// then stops relaying them, so nothing arrives twice), forwards context.log lines through the same
// pipeline, and runs each invocation inside the host's trace context, so every record carries the
// invocation's operation_Id. It is ESM-aware only through registerAzFunc: Node's ESM loader does
// not go through the require hook its automatic patching relies on.
//
// Without it (npm start, tests, func start without Application Insights): each event is one JSON
// line on stdout, and metrics go nowhere.

import * as azFunc from '@azure/functions';
// A webpack bundle: Node's ESM loader sees only its default export, not the named ones.
import functionsInstrumentation from '@azure/functions-opentelemetry-instrumentation';
import { AzureMonitorLogExporter, AzureMonitorMetricExporter } from '@azure/monitor-opentelemetry-exporter';
import { context, metrics, propagation } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { JsonLineExporter } from './jsonLines.js';
import { SCOPE } from './telemetry.js';

/** Metrics are pre-aggregated per minute, the interval Application Insights itself uses. */
const METRIC_EXPORT_INTERVAL_MS = 60_000;

const { AzureFunctionsInstrumentationESM } = functionsInstrumentation;

function startAzureMonitor(connectionString: string): void {
  // The host's own telemetry names the role after the site (WEBSITE_SITE_NAME); so does ours, so
  // the app's traces and the host's requests sit under one cloud_RoleName.
  const resource = resourceFromAttributes({ 'service.name': process.env.WEBSITE_SITE_NAME ?? SCOPE });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor(new AzureMonitorLogExporter({ connectionString }))],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new AzureMonitorMetricExporter({ connectionString }),
        exportIntervalMillis: METRIC_EXPORT_INTERVAL_MS,
      }),
    ],
  });
  logs.setGlobalLoggerProvider(loggerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  // Not enabled through registerInstrumentations: its require hook would patch nothing here (see
  // above) and, if it ever did, would register the hooks a second time.
  const instrumentation = new AzureFunctionsInstrumentationESM({ enabled: false });
  instrumentation.setLoggerProvider(loggerProvider);
  try {
    instrumentation.registerAzFunc(azFunc);
  } catch (error) {
    // npm start's runtime has no log hook: events are still exported, context.log lines are not.
    console.warn(`Telemetry: context.log lines stay local (${(error as Error).message})`);
  }

  // Flush what is buffered when the host stops the worker (scale-in, restart, deployment).
  azFunc.app.hook.appTerminate(async () => {
    await Promise.allSettled([loggerProvider.shutdown(), meterProvider.shutdown()]);
  });
}

function startJsonLines(): void {
  logs.setGlobalLoggerProvider(
    new LoggerProvider({ processors: [new SimpleLogRecordProcessor(new JsonLineExporter())] }),
  );
}

const connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING;
if (connectionString) startAzureMonitor(connectionString);
else startJsonLines();
