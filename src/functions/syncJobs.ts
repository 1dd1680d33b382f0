import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { AppError } from '../errors.js';
import { requestSync } from '../jobs/connect.js';
import { getServices } from '../services.js';
import { errorResponse, json, toErrorResponse } from './http.js';

export async function startSync(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const job = await requestSync(await getServices());
    context.log('Manual sync queued', { jobId: job.id });
    return json(202, { jobId: job.id }, { Location: `/api/sync/jobs/${job.id}` });
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

function parseTop(raw: string | null): number {
  if (raw === null) return 20;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > 100) {
    throw new AppError(400, 'INVALID_QUERY', 'top must be an integer from 1 to 100');
  }
  return top;
}

export async function listSyncJobs(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const top = parseTop(request.query.get('top'));
    const token = request.query.get('continuationToken') ?? undefined;
    const page = await (await getServices()).jobs.list(top, token);
    return json(200, page);
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

export async function getSyncJob(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const job = await (await getServices()).jobs.get(request.params.id ?? '');
    return job ? json(200, job) : errorResponse(404, 'JOB_NOT_FOUND', 'No such job');
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

app.http('startSync', { route: 'sync', methods: ['POST'], authLevel: 'function', handler: startSync });
app.http('listSyncJobs', {
  route: 'sync/jobs',
  methods: ['GET'],
  authLevel: 'function',
  handler: listSyncJobs,
});
app.http('getSyncJob', {
  route: 'sync/jobs/{id}',
  methods: ['GET'],
  authLevel: 'function',
  handler: getSyncJob,
});
