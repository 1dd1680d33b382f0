import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { fullName } from '../github/repository.js';
import { connectRepository } from '../jobs/connect.js';
import type { Connection } from '../jobs/types.js';
import { getServices } from '../services.js';
import { readJsonObject } from './body.js';
import { errorResponse, json, toErrorResponse } from './http.js';

function view(connection: Connection) {
  return { ...connection, fullName: fullName(connection.repositoryUrl) };
}

export async function githubConnection(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const services = await getServices();
    if (request.method === 'GET') {
      const connection = await services.connections.get();
      return connection
        ? json(200, view(connection))
        : errorResponse(404, 'NOT_CONNECTED', 'No repository is connected');
    }
    if (request.method === 'DELETE') {
      const connection = await services.connections.disconnect();
      context.log('Repository disconnected', {
        repository: connection && fullName(connection.repositoryUrl),
      });
      return connection
        ? json(200, view(connection))
        : errorResponse(404, 'NOT_CONNECTED', 'No repository is connected');
    }
    const { connection, job } = await connectRepository(services, await readJsonObject(request), {
      allowLocalRepos: services.config.sync.allowLocalRepos,
      hosts: services.config.github.hosts,
      token: services.config.github.token,
    });
    context.log('Repository connected', {
      repository: fullName(connection.repositoryUrl),
      branch: connection.branch,
      jobId: job.id,
    });
    return json(
      202,
      { jobId: job.id, connection: view(connection) },
      { Location: `/api/sync/jobs/${job.id}` },
    );
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

app.http('githubConnection', {
  route: 'github/connection',
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'function',
  handler: githubConnection,
});
