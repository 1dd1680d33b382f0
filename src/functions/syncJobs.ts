import { app } from '@azure/functions';
import { getConfig } from '../config.js';
import { requestSync } from '../jobs/connect.js';
import { getServices } from './services.js';
import { audited } from './audited.js';
import { authLevelFor, authorized } from './authorize.js';
import { errorResponse, json, toErrorResponse, parseTop } from './http.js';

export const startSync = authorized('Workspace.Admin', async (_request, context, actor) => {
  try {
    const services = await getServices();
    const job = await audited(
      services.audit,
      context,
      { actor, action: 'sync.request', target: 'workspace', details: (j) => ({ jobId: j.id }) },
      () => requestSync(services, { id: actor.id, name: actor.name }),
    );
    context.log('Manual sync queued', { jobId: job.id });
    return json(202, { jobId: job.id }, { Location: `/api/sync/jobs/${job.id}` });
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

export const listSyncJobs = authorized('Workspace.Reader', async (request, context) => {
  try {
    const top = parseTop(request.query.get('top'));
    const token = request.query.get('continuationToken') ?? undefined;
    const page = await (await getServices()).jobs.list(top, token);
    return json(200, page);
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

export const getSyncJob = authorized('Workspace.Reader', async (request, context) => {
  try {
    const job = await (await getServices()).jobs.get(request.params.id ?? '');
    return job ? json(200, job) : errorResponse(404, 'JOB_NOT_FOUND', 'No such job');
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

const authLevel = authLevelFor(getConfig().auth.mode);
app.http('startSync', { route: 'sync', methods: ['POST'], authLevel, handler: startSync });
app.http('listSyncJobs', {
  route: 'sync/jobs',
  methods: ['GET'],
  authLevel,
  handler: listSyncJobs,
});
app.http('getSyncJob', {
  route: 'sync/jobs/{id}',
  methods: ['GET'],
  authLevel,
  handler: getSyncJob,
});
