// Builds, lints (warnings are errors) and snapshots infra/main.bicepparam with the Bicep CLI, so the static
// tests (tests/static/infra*.test.ts) can assert on the evaluated deployment.
//
// As a module it is the snapshot step of the test run (tests/support/infra-snapshot-setup.ts imports it
// and rebuilds the snapshot when it is missing or older than infra/). Run directly (`npm run infra:check`)
// it always rebuilds, then runs those static tests, so one command builds and asserts.
//
// The CLI comes from BICEP_PATH or PATH, or from the NuGet package Azure.Bicep.CommandLine.linux-x64
// restored with `dotnet restore` into .cache/. When none of that works it throws BicepUnavailable: the
// caller decides whether that skips (a laptop without the .NET SDK) or fails (CI).
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BICEP_VERSION = '0.49.2';
const BICEP_PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';

const scriptPath = fileURLToPath(import.meta.url);
const root = resolve(dirname(scriptPath), '..');
const infraDir = join(root, 'infra');
export const outDir = join(root, '.cache', 'infra');
const bicepCache = join(root, '.cache', 'bicep');
const snapshotFile = join(outDir, 'main.snapshot.json');

// A fixed, fake deployment context: names derived from uniqueString() are then stable across runs.
// The secret values are sentinels the tests look for (they must never reach the snapshot).
export const SNAPSHOT_CONTEXT = {
  tenantId: '00000000-0000-0000-0000-00000000a001',
  subscriptionId: '00000000-0000-0000-0000-00000000b002',
  resourceGroup: 'rg-workspace-sync-check',
  location: 'westeurope',
  /** Non-secret values main.bicepparam reads from the environment. */
  environment: { AUTH_CLIENT_ID: '00000000-0000-0000-0000-00000000c003' },
  secrets: {
    GITHUB_WEBHOOK_SECRET: 'sentinel-webhook-secret-4f1c2a9e7b',
    GITHUB_TOKEN: 'sentinel-github-token-8d3e6b0c1a',
    FRONTEND_REPOSITORY_TOKEN: 'sentinel-frontend-token-2b7f9d4e6c',
  },
};

/**
 * Name prefixes the template must refuse, one per rule (the storage account name takes only lowercase
 * letters and digits, the Key Vault name must start with a letter, names have length limits).
 */
export const BAD_NAME_PREFIXES = {
  uppercase: 'wSync',
  hyphen: 'ws-ync',
  'leading digit': '9sync',
  'too long': 'wsyncwsync1',
};

export class CheckError extends Error {}
/** The Bicep CLI is neither on PATH nor restorable. */
export class BicepUnavailable extends CheckError {}

/** Runs a command without blocking the event loop (the test runner's main process keeps serving workers). */
function run(command, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(new CheckError(`${command} could not run: ${error.message}`)));
    child.on('close', (status) => resolvePromise({ status, output }));
  });
}

async function version(bicep) {
  try {
    const { status, output } = await run(bicep, ['--version']);
    return status === 0 ? output.trim() : undefined;
  } catch {
    return undefined;
  }
}

async function restoreFromNuGet() {
  const packages = join(bicepCache, 'packages');
  const executable = join(packages, BICEP_PACKAGE.toLowerCase(), BICEP_VERSION, 'tools', 'bicep');
  if (!existsSync(executable)) {
    if (!(await version('dotnet'))) {
      throw new BicepUnavailable('bicep is not on PATH and the .NET SDK (dotnet) is missing');
    }
    mkdirSync(bicepCache, { recursive: true });
    const project = join(bicepCache, 'restore-bicep.csproj');
    writeFileSync(
      project,
      `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="${BICEP_PACKAGE}" Version="[${BICEP_VERSION}]" /></ItemGroup>
</Project>
`,
    );
    const restore = await run('dotnet', ['restore', project, '--packages', packages, '--nologo'], {
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
    });
    if (restore.status !== 0 || !existsSync(executable)) {
      const reason =
        restore.output
          .trim()
          .split('\n')
          .find((line) => /error/i.test(line)) ?? 'no output';
      throw new BicepUnavailable(
        `dotnet restore of ${BICEP_PACKAGE} ${BICEP_VERSION} failed: ${reason.trim()}`,
      );
    }
  }
  chmodSync(executable, 0o755); // NuGet extracts without the executable bit
  return executable;
}

/** The Bicep CLI to use: `{ path, version }`. Throws BicepUnavailable when none can be had. */
export async function findBicep() {
  for (const candidate of [process.env.BICEP_PATH, 'bicep'].filter(Boolean)) {
    const found = await version(candidate);
    if (found) return { path: candidate, version: found };
  }
  const restored = await restoreFromNuGet();
  const found = await version(restored);
  if (!found) throw new BicepUnavailable(`${restored} was restored but does not run`);
  return { path: restored, version: found };
}

/** Runs a bicep command; any diagnostic (warning or error) fails it. */
async function bicepStep(bicep, label, args, options) {
  const { status, output } = await run(bicep, args, options);
  const diagnostics = output.split('\n').filter((line) => / : (Warning|Error) /.test(line));
  if (status !== 0 || diagnostics.length > 0) {
    throw new CheckError(`bicep ${label} failed:\n${output.trim()}`);
  }
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** The snapshot exists and is newer than everything it is made from (infra/ and this script). */
export function snapshotIsCurrent() {
  if (!existsSync(snapshotFile)) return false;
  return statSync(snapshotFile).mtimeMs >= Math.max(newestMtime(infraDir), newestMtime(scriptPath));
}

/**
 * `bicep snapshot` of infra/ in the fixed fake context, with `namePrefix` replaced when given (to prove a bad
 * one is refused). Works on a private copy, so parallel runs never share files and nothing lands in infra/.
 * Resolves to `{ status, output, snapshot }` (snapshot: the parsed JSON when it succeeded).
 */
export async function snapshotInfra(bicep, { namePrefix, secrets = SNAPSHOT_CONTEXT.secrets } = {}) {
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(outDir, 'work-'));
  try {
    cpSync(infraDir, work, { recursive: true, filter: (src) => !src.endsWith('.snapshot.json') });
    const paramsFile = join(work, 'main.bicepparam');
    if (namePrefix !== undefined) {
      const params = readFileSync(paramsFile, 'utf8');
      const replaced = params.replace(/^param namePrefix = '[^']*'$/m, `param namePrefix = '${namePrefix}'`);
      if (replaced === params) throw new CheckError('main.bicepparam has no `param namePrefix = ...` line');
      writeFileSync(paramsFile, replaced);
    }
    // Only the given secrets: the environment of the caller must not leak a real one into the snapshot.
    const env = { ...process.env };
    for (const name of Object.keys(SNAPSHOT_CONTEXT.secrets)) delete env[name];
    // (the non-secret ones are set from SNAPSHOT_CONTEXT.environment below)
    const { tenantId, subscriptionId, resourceGroup, location } = SNAPSHOT_CONTEXT;
    const { status, output } = await run(
      bicep,
      [
        'snapshot',
        paramsFile,
        '--mode',
        'overwrite',
        '--tenant-id',
        tenantId,
        '--subscription-id',
        subscriptionId,
        '--resource-group',
        resourceGroup,
        '--location',
        location,
      ],
      { env: { ...env, ...SNAPSHOT_CONTEXT.environment, ...secrets } },
    );
    const produced = join(work, 'main.snapshot.json');
    const snapshot =
      status === 0 && existsSync(produced) ? JSON.parse(readFileSync(produced, 'utf8')) : undefined;
    return { status, output: output.trim(), snapshot };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Writes `file` in outDir atomically, so a concurrent reader never sees half of it. */
function writeOutput(file, text) {
  const temporary = join(outDir, `.${file}.${process.pid}`);
  writeFileSync(temporary, text);
  renameSync(temporary, join(outDir, file));
}

/**
 * Build, lint and snapshot infra/ into .cache/infra/: main.json (compiled), main.snapshot.json, and
 * rejected-prefixes.json (what `bicep snapshot` said for each of BAD_NAME_PREFIXES: it must refuse each).
 */
export async function buildSnapshot(bicep, log = () => {}) {
  mkdirSync(outDir, { recursive: true });
  const compiled = join(outDir, `.main.json.${process.pid}`);
  await bicepStep(bicep, 'build', ['build', join(infraDir, 'main.bicep'), '--outfile', compiled]);
  renameSync(compiled, join(outDir, 'main.json'));
  log('bicep build: ok');
  await bicepStep(bicep, 'lint', ['lint', '--pattern', `${infraDir}/**/*.bicep`]);
  log('bicep lint: ok');
  const full = await snapshotInfra(bicep);
  if (!full.snapshot || / : (Warning|Error) /.test(full.output)) {
    throw new CheckError(`bicep snapshot failed:\n${full.output}`);
  }
  // One at a time: each is a .NET process, and the machine may be shared.
  const rejected = {};
  for (const [rule, namePrefix] of Object.entries(BAD_NAME_PREFIXES)) {
    const { status, output } = await snapshotInfra(bicep, { namePrefix });
    rejected[rule] = { namePrefix, status, output };
  }
  writeOutput('snapshot-context.json', `${JSON.stringify(SNAPSHOT_CONTEXT, null, 2)}\n`);
  writeOutput('rejected-prefixes.json', `${JSON.stringify(rejected, null, 2)}\n`);
  writeOutput('main.snapshot.json', `${JSON.stringify(full.snapshot, null, 2)}\n`); // last: it marks the set current
  log(`bicep snapshot: ok (${snapshotFile})`);
}

async function main() {
  const bicep = await findBicep();
  console.log(`${bicep.version} (${bicep.path})`);
  await buildSnapshot(bicep.path, (line) => console.log(line));
  // The assertions live in the static tests; run them on the snapshot just made.
  const vitest = spawn(
    process.execPath,
    [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'unit', 'tests/static/infra'],
    { cwd: root, stdio: 'inherit', env: { ...process.env, BICEP_PATH: bicep.path } },
  );
  const code = await new Promise((resolvePromise) => vitest.on('close', resolvePromise));
  if (code !== 0) throw new CheckError(`the infra tests failed (vitest exit ${code})`);
}

if (process.argv[1] && resolve(process.argv[1]) === scriptPath) {
  main().catch((error) => {
    if (!(error instanceof CheckError)) throw error;
    console.error(`infra:check FAILED — ${error.message}`);
    if (error instanceof BicepUnavailable) {
      console.error(
        `Put bicep on PATH (or set BICEP_PATH), or make the .NET SDK and NuGet (${BICEP_PACKAGE} ${BICEP_VERSION}) reachable.`,
      );
    }
    process.exit(1);
  });
}
