// Entry point the Functions host loads (package.json "main"). It only sets the app up and
// imports the function modules, each of which registers itself.

// First: telemetry's providers must exist before any other module runs (src/telemetry/setup.ts).
import './telemetry/setup.js';
import { app } from '@azure/functions';
import { getConfig } from './config.js';

app.setup({ enableHttpStream: true });

// Validate every setting now, so a bad one fails start-up with one line naming it instead of
// failing each invocation later.
getConfig();

// Function modules (one line each; keep sorted).
import './functions/audit.js';
import './functions/githubConnection.js';
import './functions/githubWebhook.js';
import './functions/health.js';
import './functions/syncJobs.js';
import './functions/syncPoll.js';
import './functions/workspaceBackups.js';
import './functions/workspaceFiles.js';
import './functions/workspaceZip.js';
import './functions/workspaceSync.js';
