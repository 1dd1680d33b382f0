// Picks the workspace store named by WORKSPACE_BACKEND (see src/config.ts).

import type { WorkspaceConfig } from '../config.js';
import { LocalWorkspaceStore } from './localStore.js';
import { StoreError, type WorkspaceStore } from './store.js';

export function createWorkspaceStore(config: WorkspaceConfig): WorkspaceStore {
  if (config.backend === 'local') return new LocalWorkspaceStore(config.path);
  throw new StoreError('STORAGE_ERROR', '', 'The azure-files store is not wired in yet', 'NotImplemented');
}
