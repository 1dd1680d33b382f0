// /api/workspace/backups: the ZIPs a sync made of files it would otherwise have destroyed
// (src/sync/backup.ts). List newest first, download one, delete one (audited).

import { app, type HttpRequest } from '@azure/functions';
import { getConfig } from '../config.js';
import { getServices } from './services.js';
import { authLevelFor, authorized } from './authorize.js';
import { errorResponse, json, toErrorResponse, parseTop } from './http.js';

const NOT_FOUND = ['BACKUP_NOT_FOUND', 'No such backup'] as const;

const idOf = (request: HttpRequest) => request.params.id ?? '';

/** `GET /api/workspace/backups?top=&continuationToken=`: newest first. */
export const listWorkspaceBackups = authorized('Workspace.Reader', async (request, context) => {
  try {
    const top = parseTop(request.query.get('top'));
    const token = request.query.get('continuationToken') ?? undefined;
    return json(200, await (await getServices()).backups.list(top, token));
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

/** `GET /api/workspace/backups/{id}`: the ZIP, streamed from the blob. */
export const downloadWorkspaceBackup = authorized('Workspace.Reader', async (request, context) => {
  try {
    const id = idOf(request);
    const backup = await (await getServices()).backups.open(id);
    if (!backup) return errorResponse(404, ...NOT_FOUND);
    return {
      status: 200,
      body: backup.body,
      headers: {
        'Content-Type': 'application/zip',
        'Content-Length': String(backup.size),
        'Content-Disposition': `attachment; filename="backup-${id}.zip"`,
        'Cache-Control': 'no-store',
      },
    };
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

/** `DELETE /api/workspace/backups/{id}`: 204, or 404 when there is no such backup. */
export const deleteWorkspaceBackup = authorized('Workspace.Admin', async (request, context, actor) => {
  const id = idOf(request);
  const services = await getServices();
  const audit = (outcome: { result: 'succeeded' } | { result: 'failed'; errorCode: string }) =>
    services.audit.record({
      actor,
      action: 'backup.delete',
      target: id,
      invocationId: context.invocationId,
      ...outcome,
    });
  try {
    if (!(await services.backups.delete(id))) {
      await audit({ result: 'failed', errorCode: NOT_FOUND[0] });
      return errorResponse(404, ...NOT_FOUND);
    }
    await audit({ result: 'succeeded' });
    return { status: 204 };
  } catch (error) {
    await audit({ result: 'failed', errorCode: 'INTERNAL_ERROR' }).catch(() => undefined);
    return toErrorResponse(error, context);
  }
});

const authLevel = authLevelFor(getConfig().auth.mode);
app.http('listWorkspaceBackups', {
  route: 'workspace/backups',
  methods: ['GET'],
  authLevel,
  handler: listWorkspaceBackups,
});
app.http('downloadWorkspaceBackup', {
  route: 'workspace/backups/{id}',
  methods: ['GET'],
  authLevel,
  handler: downloadWorkspaceBackup,
});
app.http('deleteWorkspaceBackup', {
  route: 'workspace/backups/{id}',
  methods: ['DELETE'],
  authLevel,
  handler: deleteWorkspaceBackup,
});
