// GET /api/workspace/zip[?path=folder]: the workspace as a streamed ZIP download.

import { app } from '@azure/functions';
import { getConfig } from '../config.js';
import { getServices } from './services.js';
import { WORKSPACE_LEASE_BLOB } from '../storage-names.js';
import { readManifest } from '../sync/manifest.js';
import type { Entry } from '../workspace/store.js';
import { parseWorkspacePath } from '../workspace/paths.js';
import { zipFileName, zipWorkspace } from '../workspace/zip.js';
import { authLevelFor, authorized } from './authorize.js';
import { toErrorResponse } from './http.js';

export const workspaceZip = authorized('Workspace.Reader', async (request, context) => {
  try {
    const path = parseWorkspacePath(request.query.get('path') ?? '');
    const { store, state } = await getServices();
    // Listings of Azure Files carry no executable bit; the last sync's manifest has each file's git mode.
    const manifest = await readManifest(state.getBlockBlobClient(WORKSPACE_LEASE_BLOB));
    const modeOf = (entry: Entry) => {
      const mode = manifest?.files[entry.path]?.mode;
      return mode === '100755' ? 0o755 : mode === '100644' ? 0o644 : undefined;
    };
    const body = await zipWorkspace(store, path, { modeOf });
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
});

app.http('workspaceZip', {
  route: 'workspace/zip',
  methods: ['GET'],
  authLevel: authLevelFor(getConfig().auth.mode),
  handler: workspaceZip,
});
