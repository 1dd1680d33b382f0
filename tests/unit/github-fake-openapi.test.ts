// Holds the GitHub fake to GitHub's official OpenAPI description (@octokit/openapi, api.github.com):
// every route the fake serves, success and error answers, the headers GitHub documents, and the
// push and ping deliveries it posts. If the fake drifts from the real API, this fails.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubFake, type GitHubFake } from '../support/github-fake/index.js';

type Json = Record<string, any>;

// Only the api.github.com description is read (13 MB); the package's index loads every variant (~400 MB).
const spec: Json = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json'),
    'utf8',
  ),
);

/** OpenAPI 3.0's `nullable: true` is "or null" in JSON Schema terms. */
function withNullables(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withNullables);
  if (typeof node !== 'object' || node === null) return node;
  const { nullable, ...rest } = node as Json;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, withNullables(value)]),
  );
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

const SPEC_ID = 'http://openapi.invalid/api.github.com.json';
const REPO = '/repos/{owner}/{repo}';
const HOOKS = '/repos/{owner}/{repo}/hooks';
const HOOK = '/repos/{owner}/{repo}/hooks/{hook_id}';
const ROUTES = [REPO, HOOKS, HOOK, `${HOOK}/pings`, `${HOOK}/deliveries`];

// Statuses GitHub returns on every route but the description lists only where they are special
// (401 for a bad token, 403 for a rate limit, 400 for an unparsable body): the generic component.
const GENERIC_RESPONSES: Record<number, string> = {
  400: 'bad_request',
  401: 'requires_authentication',
  403: 'forbidden',
  404: 'not_found',
  422: 'validation_failed',
  500: 'internal_error',
  503: 'service_unavailable',
};

/**
 * The components the fake's routes and deliveries reach, following $refs: compiling the whole
 * description would take a minute for a few hundred schemas that matter here.
 */
function reachableComponents(): Json {
  const picked: Json = {};
  const pending = [
    ...ROUTES.map((route) => spec.paths[route]),
    ...Object.values(GENERIC_RESPONSES).map((name) => ({ $ref: `#/components/responses/${name}` })),
    { $ref: '#/components/schemas/webhook-push' },
    { $ref: '#/components/schemas/webhook-ping' },
  ];
  while (pending.length) {
    JSON.stringify(pending.pop(), (key, value) => {
      if (key !== '$ref' || typeof value !== 'string') return value;
      const [, , kind, name] = value.split('/') as [string, string, string, string];
      picked[kind] ??= {};
      if (!picked[kind][name]) {
        picked[kind][name] = spec.components[kind][name];
        pending.push(picked[kind][name]);
      }
      return value;
    });
  }
  return picked;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
// OpenAPI's own formats: integer widths and GitHub's `owner/name`. ajv-formats covers the rest.
ajv.addFormat('int32', {
  type: 'number',
  validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
});
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('double', { type: 'number', validate: () => true });
ajv.addFormat('timestamp', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/);
ajv.addFormat('binary', () => true);
ajv.addSchema({ $id: SPEC_ID, components: withNullables(reachableComponents()) });

/** A schema from the description with its local `#/components/...` refs pointed at the registered copy. */
function compile(schema: unknown): ValidateFunction {
  return ajv.compile(
    JSON.parse(JSON.stringify(withNullables(schema)).replaceAll('"$ref":"#/', `"$ref":"${SPEC_ID}#/`)),
  );
}

const validators = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: () => unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) validators.set(key, (validate = compile(schema())));
  return validate;
}

function expectValid(validate: ValidateFunction, value: unknown, what: string): void {
  const valid = validate(value);
  expect(valid ? [] : ajv.errorsText(validate.errors, { separator: '\n' }).split('\n'), what).toEqual([]);
}

function component(name: string): ValidateFunction {
  return validatorFor(name, () => ({ $ref: `#/components/schemas/${name}` }));
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The body validator for a route and status in the description; undefined when it documents no body. */
function documented(path: string, method: string, status: number): ValidateFunction | undefined {
  const operation = spec.paths[path]?.[method.toLowerCase()];
  expect(operation, `${method} ${path} is in the description`).toBeDefined();
  let response: Json | undefined = operation.responses[String(status)];
  if (!response) {
    const generic = GENERIC_RESPONSES[status];
    expect(generic, `${method} ${path} ${status} is documented or generic`).toBeDefined();
    response = { $ref: `#/components/responses/${generic}` };
  }
  const responseRef = response.$ref as string | undefined;
  if (responseRef) response = spec.components.responses[responseRef.split('/').at(-1)!] as Json;
  const media = response.content?.['application/json'];
  return media && validatorFor(`${method} ${path} ${status}`, () => media.schema);
}

function checkAgainstSpec(path: string, method: string, answer: Answer, what: string): void {
  const validate = documented(path, method, answer.status);
  if (validate) {
    expect(answer.headers['content-type'], what).toBe('application/json; charset=utf-8');
    expectValid(validate, answer.body, what);
  } else {
    expect(answer.body, `${what}: no body`).toBeUndefined();
  }
  expect(answer.headers['x-github-request-id'], what).toMatch(/^[0-9A-F]+(:[0-9A-F]+){4}$/);
}

const CLASSIC = 'ghp_openapiClassic000000000000000000000000';
const FINE = 'github_pat_openapiFine_000000000000000000000';
const READER = 'github_pat_openapiReader_0000000000000000000';
const LIMITED = 'ghp_openapiLimited000000000000000000000000';

let fake: GitHubFake;
let receiverUrl: string;
const received: Array<{ headers: IncomingMessage['headers']; body: Buffer }> = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(204).end();
  });
});

async function call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: text ? JSON.parse(text) : undefined,
  };
}

const hookRequest = (url: string) => ({
  name: 'web',
  active: true,
  events: ['push'],
  config: { url, content_type: 'json', insecure_ssl: '0', secret: 'openapi-secret-0123456789abcdef' },
});

beforeAll(async () => {
  fake = await startGitHubFake();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  fake.addRepository('acme/site', { private: true });
  fake.addRepository('acme/public', { private: false });
  fake.addToken(CLASSIC, {
    scopes: ['repo', 'admin:repo_hook'],
    expiresAt: new Date('2026-12-01T10:00:00Z'),
  });
  fake.addToken(FINE, {});
  fake.addToken(READER, { webhooks: 'read' });
  fake.addToken(LIMITED, { scopes: ['repo'], rateLimited: true });
});

afterAll(async () => {
  await fake.stop();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('the GitHub fake against the OpenAPI description', () => {
  it('GET a repository: 200 with and without a token, 401, 403 rate limit, 404', async () => {
    const cases: Array<[string, Answer, number]> = [
      ['classic token', await call('GET', '/repos/acme/site', CLASSIC), 200],
      ['anonymous, public', await call('GET', '/repos/acme/public'), 200],
      ['unknown token', await call('GET', '/repos/acme/site', 'ghp_unknown'), 401],
      ['rate limited', await call('GET', '/repos/acme/site', LIMITED), 403],
      ['missing repository', await call('GET', '/repos/acme/missing', CLASSIC), 404],
      ['anonymous, private', await call('GET', '/repos/acme/site'), 404],
    ];
    for (const [what, answer, status] of cases) {
      expect(answer.status, what).toBe(status);
      checkAgainstSpec(REPO, 'GET', answer, what);
    }
    const [, classic] = cases[0]!;
    expect((classic.body as Json).permissions).toMatchObject({ admin: true });
    expect((cases[1]![1].body as Json).permissions).toBeUndefined();
    expect(classic.headers['x-oauth-scopes']).toBe('repo, admin:repo_hook');
    expect(classic.headers['github-authentication-token-expiration']).toBe('2026-12-01 10:00:00 UTC');
    for (const name of ['limit', 'remaining', 'reset', 'used']) {
      expect(classic.headers[`x-ratelimit-${name}`]).toMatch(/^\d+$/);
    }
    expect(cases[2]![1].body).toMatchObject({ message: 'Bad credentials' });
    expect(cases[3]![1].headers['x-ratelimit-remaining']).toBe('0');
    expect((cases[3]![1].body as Json).message).toMatch(/^API rate limit exceeded/);
    expect(cases[4]![1].body).toMatchObject({ message: 'Not Found' });
  });

  it('an outage answers every route 500 internal_error or 503 service_unavailable as documented', async () => {
    for (const status of [500, 503] as const) {
      fake.setOutage(status);
      try {
        const answers: Array<[string, string, Answer]> = [
          [REPO, 'GET', await call('GET', '/repos/acme/site', CLASSIC)],
          [HOOKS, 'GET', await call('GET', '/repos/acme/site/hooks', CLASSIC)],
          [HOOKS, 'POST', await call('POST', '/repos/acme/site/hooks', CLASSIC, hookRequest(receiverUrl))],
        ];
        for (const [path, method, answer] of answers) {
          const what = `${method} ${path} during a ${status} outage`;
          expect(answer.status, what).toBe(status);
          checkAgainstSpec(path, method, answer, what);
          expect((answer.body as Json).message, what).toEqual(expect.any(String));
        }
      } finally {
        fake.setOutage(undefined);
      }
    }
    expect((await call('GET', '/repos/acme/site', CLASSIC)).status).toBe(200);
  });

  it('hooks: create, list (paged), get, update, ping, deliveries, delete, and their errors', async () => {
    const created = await call('POST', '/repos/acme/site/hooks', CLASSIC, hookRequest(receiverUrl));
    expect(created.status).toBe(201);
    checkAgainstSpec(HOOKS, 'POST', created, 'create');
    const id = (created.body as Json).id as number;
    expect((created.body as Json).config.secret).toBe('********');
    await fake.idle(); // the ping GitHub sends on creation

    const answers: Array<[string, string, string, Answer, number]> = [
      ['list', HOOKS, 'GET', await call('GET', '/repos/acme/site/hooks?per_page=1', CLASSIC), 200],
      [
        'duplicate',
        HOOKS,
        'POST',
        await call('POST', '/repos/acme/site/hooks', CLASSIC, hookRequest(receiverUrl)),
        422,
      ],
      [
        'no webhooks:write',
        HOOKS,
        'POST',
        await call('POST', '/repos/acme/site/hooks', READER, hookRequest('http://127.0.0.1:9/x')),
        403,
      ],
      ['bad JSON', HOOKS, 'POST', await call('POST', '/repos/acme/site/hooks', CLASSIC, '{'), 400],
      ['get', HOOK, 'GET', await call('GET', `/repos/acme/site/hooks/${id}`, FINE), 200],
      ['get missing', HOOK, 'GET', await call('GET', '/repos/acme/site/hooks/1', CLASSIC), 404],
      [
        'update',
        HOOK,
        'PATCH',
        await call('PATCH', `/repos/acme/site/hooks/${id}`, CLASSIC, { active: true }),
        200,
      ],
      [
        'update invalid',
        HOOK,
        'PATCH',
        await call('PATCH', `/repos/acme/site/hooks/${id}`, CLASSIC, { config: { url: 'not a url' } }),
        422,
      ],
      [
        'update missing',
        HOOK,
        'PATCH',
        await call('PATCH', '/repos/acme/site/hooks/1', CLASSIC, { active: true }),
        404,
      ],
      [
        'ping',
        `${HOOK}/pings`,
        'POST',
        await call('POST', `/repos/acme/site/hooks/${id}/pings`, CLASSIC),
        204,
      ],
      [
        'ping missing',
        `${HOOK}/pings`,
        'POST',
        await call('POST', '/repos/acme/site/hooks/1/pings', CLASSIC),
        404,
      ],
    ];
    await fake.idle();
    answers.push([
      'deliveries',
      `${HOOK}/deliveries`,
      'GET',
      await call('GET', `/repos/acme/site/hooks/${id}/deliveries`, CLASSIC),
      200,
    ]);
    answers.push([
      'delete',
      HOOK,
      'DELETE',
      await call('DELETE', `/repos/acme/site/hooks/${id}`, CLASSIC),
      204,
    ]);
    answers.push([
      'delete again',
      HOOK,
      'DELETE',
      await call('DELETE', `/repos/acme/site/hooks/${id}`, CLASSIC),
      404,
    ]);

    for (const [what, path, method, answer, status] of answers) {
      expect(answer.status, what).toBe(status);
      checkAgainstSpec(path, method, answer, what);
    }
    const byName = Object.fromEntries(answers.map(([what, , , answer]) => [what, answer]));
    expect(byName.duplicate!.body).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' }],
    });
    expect(byName['no webhooks:write']!.headers['x-accepted-github-permissions']).toBe('webhooks=write');
    expect(byName.list!.body).toHaveLength(1);
    const deliveries = byName.deliveries!.body as Json[];
    expect(deliveries.map((d) => [d.event, d.status_code, d.status])).toEqual([
      ['ping', 204, 'OK'],
      ['ping', 204, 'OK'],
    ]);
  });

  it('the list of hooks pages with a Link header GitHub-style', async () => {
    for (const n of [1, 2, 3]) {
      expect(
        (await call('POST', '/repos/acme/site/hooks', CLASSIC, hookRequest(`http://127.0.0.1:9/p${n}`)))
          .status,
      ).toBe(201);
    }
    const page = await call('GET', '/repos/acme/site/hooks?per_page=2', CLASSIC);
    expect(page.headers.link).toBe(
      `<${fake.url}/repos/acme/site/hooks?page=2&per_page=2>; rel="next", <${fake.url}/repos/acme/site/hooks?page=2&per_page=2>; rel="last"`,
    );
    checkAgainstSpec(HOOKS, 'GET', page, 'paged list');
    await fake.idle();
  });

  it('push and ping deliveries match webhook-push and webhook-ping, with the documented headers', async () => {
    received.length = 0;
    fake.addRepository('acme/deliveries');
    const created = await call('POST', '/repos/acme/deliveries/hooks', CLASSIC, hookRequest(receiverUrl));
    expect(created.status).toBe(201);
    await fake.idle();
    const sha = (n: number) => String(n).repeat(40);
    const records = await fake.deliverPush('acme/deliveries', {
      ref: 'refs/heads/main',
      before: sha(1),
      after: sha(2),
      sender: 'octocat',
      commits: [
        {
          id: sha(2),
          tree_id: sha(3),
          message: 'change',
          timestamp: '2026-01-02T03:04:05+01:00',
          author: { name: 'Mona', email: 'mona@example.com', date: '2026-01-02T03:04:05+01:00' },
          committer: { name: 'Mona', email: 'mona@example.com', date: '2026-01-02T03:04:05+01:00' },
          added: ['a.txt'],
          removed: [],
          modified: ['README.md'],
        },
      ],
    });
    expect(records.map((r) => r.statusCode)).toEqual([204]);
    expect(received.map((r) => r.headers['x-github-event'])).toEqual(['ping', 'push']);
    const [ping, push] = received;
    expectValid(component('webhook-ping'), JSON.parse(ping!.body.toString()), 'ping payload');
    expectValid(component('webhook-push'), JSON.parse(push!.body.toString()), 'push payload');
    for (const event of ['ping', 'push']) {
      const names = (spec['x-webhooks'][event].post.parameters as Json[])
        .filter((p) => p.in === 'header')
        .map((p) => (p.name as string).toLowerCase());
      const delivery = event === 'ping' ? ping! : push!;
      for (const name of names) expect(delivery.headers[name], `${event} header ${name}`).toBeDefined();
    }
    expect(push!.headers['user-agent']).toMatch(/^GitHub-Hookshot\/[0-9a-f]+$/);
    expect(push!.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(push!.headers['x-hub-signature']).toMatch(/^sha1=[0-9a-f]{40}$/);
  });
});
