import { app } from '@azure/functions';
import { AuditQueryError } from '../auth/audit.js';
import { getConfig } from '../config.js';
import { getServices } from './services.js';
import { authLevelFor, authorized } from './authorize.js';
import { errorResponse, json, toErrorResponse } from './http.js';

/** `GET /api/audit?top=&since=&continuationToken=`: audit rows, newest first (Admin). */
export const listAudit = authorized('Workspace.Admin', async (request, context) => {
  const query = (name: string) => request.query.get(name) ?? undefined;
  try {
    const top = query('top');
    const page = await (
      await getServices()
    ).audit.list({
      top: top === undefined ? undefined : Number(top),
      since: query('since'),
      continuationToken: query('continuationToken'),
    });
    return json(200, page);
  } catch (error) {
    if (error instanceof AuditQueryError) return errorResponse(400, error.code, error.message);
    return toErrorResponse(error, context);
  }
});

app.http('listAudit', {
  route: 'audit',
  methods: ['GET'],
  authLevel: authLevelFor(getConfig().auth.mode),
  handler: listAudit,
});
