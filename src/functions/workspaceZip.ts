// GET /api/workspace/zip[?path=folder]: the workspace as a streamed ZIP download.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../services.js';
import { parseWorkspacePath } from '../workspace/paths.js';
import { zipFileName, zipWorkspace } from '../workspace/zip.js';
import { toErrorResponse } from './http.js';

export async function workspaceZip(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const path = parseWorkspacePath(request.query.get('path') ?? '');
    const { store } = await getServices();
    const body = await zipWorkspace(store, path);
    return {
      status: 200,
      body,
      headers: {
        'Content-Type': 'application/zip',
        'Content-Disposition': `attachment; filename="${zipFileName()}"`,
        'Cache-Control': 'no-store',
      },
    };
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

app.http('workspaceZip', {
  route: 'workspace/zip',
  methods: ['GET'],
  authLevel: 'function',
  handler: workspaceZip,
});
