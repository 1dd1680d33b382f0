// What the authorization check costs a files GET (issue 12: within 5 % of AUTH_MODE=keys).
//
// Two compiled local runtimes (`node dist/dev/main.js`, what `npm start` runs) side by side in
// the same run, on one Azurite and one workspace folder:
//   - platform: AUTH_MODE=platform, WEBSITE_AUTH_ENABLED=True; every request carries the
//     principal App Service authentication forwards for an Entra ID user (App Service shape,
//     the claims Entra puts in an access token, about 1.9 KB of base64), which the app decodes,
//     checks and reads the roles from;
//   - keys: AUTH_MODE=keys; every request carries an `x-functions-key` (the local runtime, like
//     `func start`, does not check it; in Azure the host does, before the app runs);
//   - keys (control): a second, identical keys runtime, so the table shows how far two runtimes
//     that do exactly the same work differ on this machine in the same run: the noise floor;
//   - keys + principal header: keys again, sent the platform side's principal header too, which
//     keys mode never reads: what carrying the ~1.9 KB header through the host costs by itself.
// Latency on a shared machine swings with whatever else runs, so the main figure is the CPU time
// each runtime process spent per request (all its threads, from /proc/<pid>/task/*/schedstat, in
// nanoseconds; Linux only): the work a request costs, which other load barely moves.
// Rounds interleave the four (the order rotates), each round a short block of GETs of the same
// file per runtime at a fixed concurrency over keep-alive connections, so load from anything else
// on the machine falls on all four alike. Per block: CPU per request, mean latency, requests per second;
// reported as medians and ranges over the rounds, and as per-round ratios to keys. The in-process
// cost of `authenticate()` alone is timed too, to show the check's own cost.
//
//   npm run bench -- auth [--rounds 40] [--requests 200] [--concurrency 4] [--bytes 1024]

import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { authenticate, type AuthSettings } from '../../src/auth/authenticate.js';
import { startAzurite } from '../../src/dev/azurite.js';
import { localAppSettings, startRuntime, type Runtime } from '../../tests/e2e/support/runtime.js';
import { median, percentile, report, type Row } from '../lib/report.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '40' },
    requests: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    bytes: { type: 'string', default: '1024' },
  },
});
const rounds = Number(values.rounds);
const requestsPerRound = Number(values.requests);
const concurrency = Number(values.concurrency);
const fileBytes = Number(values.bytes);
const FILE = 'docs/guide.md';
const TARGET_RATIO = 1.05;

/** An Entra ID user as App Service authentication forwards them: the access token's claims. */
function entraPrincipal(): string {
  const oid = '5b5450db-eb26-4c1a-981c-ba1d25f0483d';
  const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const ms = 'http://schemas.microsoft.com/identity/claims';
  const xml = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
  const now = Math.floor(Date.now() / 1000);
  const claims: [string, string][] = [
    ['aud', 'api://0f3c7e2a-8d4b-4a51-9c6e-2b1d7f5e9a30'],
    ['iss', `https://sts.windows.net/${tid}/`],
    ['iat', String(now)],
    ['nbf', String(now)],
    ['exp', String(now + 3600)],
    ['http://schemas.microsoft.com/claims/authnclassreference', '1'],
    ['aio', 'AWQAm/8YAAAAq2a5m1Qe3f0h7Zb1yKp0sR9tXwVu2c4dE6fG8hI0jK2lM4nO6pQ8rS0tU2vW4xY6zA8bC0dE2f=='],
    ['http://schemas.microsoft.com/claims/authnmethodsreferences', 'pwd'],
    ['http://schemas.microsoft.com/claims/authnmethodsreferences', 'mfa'],
    ['appid', '1950a258-227b-4e31-a9cf-717495945fc2'],
    ['appidacr', '0'],
    [`${xml}/surname`, 'Lovelace'],
    [`${xml}/givenname`, 'Ada'],
    ['ipaddr', '203.0.113.42'],
    ['name', 'Ada Lovelace'],
    [`${ms}/objectidentifier`, oid],
    ['rh', '0.AXoAv4j5cvGGr0GRqy180BHbRyrHPA8rjVFKnG4rHX9emjB6AOQ.'],
    ['roles', 'Workspace.Reader'],
    ['roles', 'Workspace.Editor'],
    ['http://schemas.microsoft.com/identity/claims/scope', 'user_impersonation'],
    [`${xml}/nameidentifier`, 'qQ8Yd9zZ0b1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6R7'],
    [`${ms}/tenantid`, tid],
    [`${xml}/name`, 'ada@contoso.example'],
    [`${xml}/upn`, 'ada@contoso.example'],
    ['uti', 'x2Yz3AbC4dEf5GhI6jKl7M'],
    ['ver', '1.0'],
  ];
  const principal = {
    auth_typ: 'aad',
    name_typ: `${xml}/name`,
    role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    claims: claims.map(([typ, val]) => ({ typ, val })),
  };
  return Buffer.from(JSON.stringify(principal)).toString('base64');
}

interface Side {
  name: 'platform' | 'keys' | 'keys (control)' | 'keys + principal header';
  runtime: Runtime;
  headers: Record<string, string>;
  agent: Agent;
}

function get(side: Side): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${side.runtime.url}/api/workspace/files/${FILE}`,
      { agent: side.agent, headers: side.headers },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () =>
          res.statusCode === 200 && bytes === fileBytes
            ? resolve()
            : reject(new Error(`${side.name}: HTTP ${res.statusCode}, ${bytes} bytes`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `count` GETs, `concurrency` at a time; the wall time and each request's latency. */
async function burst(side: Side, count: number): Promise<{ wallMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        await get(side);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { wallMs: performance.now() - started, latencies };
}

/** CPU time the process has used so far, all threads, in nanoseconds (Linux schedstat). */
async function cpuNs(pid: number): Promise<number> {
  const threads = await readdir(`/proc/${pid}/task`);
  const times = await Promise.all(
    threads.map((tid) =>
      readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').then(
        (text) => Number(text.split(' ')[0]),
        () => 0, // a thread that ended meanwhile
      ),
    ),
  );
  return times.reduce((a, b) => a + b, 0);
}

/** Median time of one `authenticate()` call, in microseconds (in-process, no HTTP). */
function authenticateMicros(settings: AuthSettings, headers: Record<string, string>): number {
  const header = (name: string) => headers[name] ?? null;
  const samples: number[] = [];
  for (let batch = 0; batch < 21; batch++) {
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) authenticate(settings, header);
    samples.push(((performance.now() - t0) / 1000) * 1000);
  }
  return median(samples);
}

const range = (values: number[], digits: number) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

const principalHeader = entraPrincipal();
const scratch = await mkdtemp(join(tmpdir(), 'bench-auth-'));
const workspace = join(scratch, 'workspace');
await mkdir(join(workspace, 'docs'), { recursive: true });
await writeFile(join(workspace, FILE), Buffer.alloc(fileBytes, 'a'));
const azurite = await startAzurite();
const sides: Side[] = [];
try {
  const settings = (extra: Record<string, string>) =>
    localAppSettings(
      workspace,
      { webhookSecret: 'bench-auth-webhook-secret', token: '' },
      {
        AzureWebJobsStorage: azurite.connectionString,
        LOCAL_SECRETS_PATH: join(scratch, 'secrets.json'),
        ...extra,
      },
    );
  const keysSide = async (name: Side['name'], extra: Record<string, string> = {}): Promise<Side> => ({
    name,
    runtime: await startRuntime({ env: settings({ AUTH_MODE: 'keys', WEBSITE_AUTH_ENABLED: '' }) }),
    headers: { 'x-functions-key': 'bench-function-key-0123456789abcdefghijklmnopqrstuvwxyz0123', ...extra },
    agent: new Agent({ keepAlive: true, maxSockets: concurrency }),
  });
  sides.push({
    name: 'platform',
    runtime: await startRuntime({ env: settings({ AUTH_MODE: 'platform', WEBSITE_AUTH_ENABLED: 'True' }) }),
    headers: { 'x-ms-client-principal': principalHeader },
    agent: new Agent({ keepAlive: true, maxSockets: concurrency }),
  });
  sides.push(
    await keysSide('keys'),
    await keysSide('keys (control)'),
    await keysSide('keys + principal header', { 'x-ms-client-principal': principalHeader }),
  );

  // Warm all (JIT, connections, the services' first use) before anything is timed.
  for (const side of sides) await burst(side, 500);

  const blocks = new Map<
    Side['name'],
    { cpuUs: number; meanMs: number; rps: number; p50: number; p99: number }[]
  >(sides.map((side) => [side.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
    for (const side of order) {
      const cpuBefore = await cpuNs(side.runtime.child.pid!);
      const { wallMs, latencies } = await burst(side, requestsPerRound);
      const cpuUs = (await cpuNs(side.runtime.child.pid!)) - cpuBefore;
      const sorted = [...latencies].sort((a, b) => a - b);
      blocks.get(side.name)!.push({
        cpuUs: cpuUs / 1000 / requestsPerRound,
        meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
        rps: (requestsPerRound / wallMs) * 1000,
        p50: sorted[Math.floor(sorted.length / 2)]!,
        p99: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!,
      });
    }
    if ((round + 1) % 10 === 0) console.log(`round ${round + 1}/${rounds}`);
  }

  const keys = blocks.get('keys')!;
  const ratiosTo = (name: Side['name'], of: 'cpuUs' | 'meanMs') =>
    blocks.get(name)!.map((b, i) => b[of] / keys[i]![of]);
  const micros = {
    platform: authenticateMicros(
      { mode: 'platform', platformAuthEnabled: true },
      { 'x-ms-client-principal': principalHeader },
    ),
    keys: authenticateMicros({ mode: 'keys', platformAuthEnabled: false }, {}),
  };
  const rows: Row[] = sides.map(({ name }) => {
    const runs = blocks.get(name)!;
    const ratios = ratiosTo(name, 'meanMs');
    const cpuRatios = ratiosTo(name, 'cpuUs');
    return {
      mode: name,
      'CPU us/req': median(runs.map((r) => r.cpuUs)),
      'CPU range': range(
        runs.map((r) => r.cpuUs),
        0,
      ),
      'CPU / keys': name === 'keys' ? 1 : median(cpuRatios),
      'CPU / keys p10–p90':
        name === 'keys'
          ? ''
          : `${percentile(cpuRatios, 10).toFixed(3)}–${percentile(cpuRatios, 90).toFixed(3)}`,
      'mean latency ms': median(runs.map((r) => r.meanMs)),
      'range ms': range(
        runs.map((r) => r.meanMs),
        2,
      ),
      'p50 ms': median(runs.map((r) => r.p50)),
      'p99 ms': median(runs.map((r) => r.p99)),
      'req/s': Math.round(median(runs.map((r) => r.rps))),
      'req/s range': range(
        runs.map((r) => r.rps),
        0,
      ),
      'latency / keys': name === 'keys' ? 1 : median(ratios),
      'latency / keys p10–p90':
        name === 'keys' ? '' : `${percentile(ratios, 10).toFixed(3)}–${percentile(ratios, 90).toFixed(3)}`,
      'authenticate() us': micros[name === 'platform' ? 'platform' : 'keys'],
    };
  });
  const ratio = median(ratiosTo('platform', 'cpuUs'));
  const control = median(ratiosTo('keys (control)', 'cpuUs'));
  const latencyRatio = median(ratiosTo('platform', 'meanMs'));
  const latencyControl = median(ratiosTo('keys (control)', 'meanMs'));
  console.log(
    `\nfiles GET of ${fileBytes} B: ${rounds} rounds x ${requestsPerRound} requests per runtime, concurrency ${concurrency}\n`,
  );
  await report('auth', rows, {
    rounds,
    requestsPerRound,
    concurrency,
    fileBytes,
    principalHeaderChars: principalHeader.length,
    target: `platform CPU per request within ${Math.round((TARGET_RATIO - 1) * 100)} % of keys`,
    cpuPlatformToKeys: ratio,
    cpuControlToKeys: control,
    latencyPlatformToKeys: latencyRatio,
    latencyControlToKeys: latencyControl,
    withinTarget: ratio <= TARGET_RATIO,
    loadAverage: loadavg(),
  });
  console.log(
    `platform / keys CPU per request: ${ratio.toFixed(3)} (target <= ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}), ` +
      `control ${control.toFixed(3)}; mean latency ${latencyRatio.toFixed(3)}, control ${latencyControl.toFixed(3)}`,
  );
} finally {
  for (const side of sides) {
    side.agent.destroy();
    await side.runtime.stop();
  }
  await azurite.stop();
  await rm(scratch, { recursive: true, force: true });
}
