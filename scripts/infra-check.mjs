// `npm run infra:check`: build, lint (warnings are errors) and snapshot infra/main.bicepparam with the
// Bicep CLI, so tests/static/infra.test.ts can assert on the evaluated deployment.
// The CLI comes from PATH, or from the NuGet package Azure.Bicep.CommandLine.linux-x64 restored with
// `dotnet restore` into .cache/. If neither works this fails loudly: infra is never skipped silently.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BICEP_VERSION = '0.49.2';
const BICEP_PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const infraDir = join(root, 'infra');
const outDir = join(root, '.cache', 'infra');
const bicepCache = join(root, '.cache', 'bicep');

// A fixed, fake deployment context: names derived from uniqueString() are then stable across runs.
// The secret values are sentinels the test looks for (they must never reach the snapshot).
const SNAPSHOT_CONTEXT = {
  tenantId: '00000000-0000-0000-0000-00000000a001',
  subscriptionId: '00000000-0000-0000-0000-00000000b002',
  resourceGroup: 'rg-workspace-sync-check',
  location: 'westeurope',
  secrets: {
    GITHUB_WEBHOOK_SECRET: 'sentinel-webhook-secret-4f1c2a9e7b',
    GITHUB_TOKEN: 'sentinel-github-token-8d3e6b0c1a',
    FRONTEND_REPOSITORY_TOKEN: 'sentinel-frontend-token-2b7f9d4e6c',
  },
};

class CheckError extends Error {}
/** The Bicep CLI is neither on PATH nor restorable: CI must fail saying so, never skip. */
class BicepUnavailable extends CheckError {}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw new CheckError(`${command} could not run: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function works(bicep) {
  const probe = spawnSync(bicep, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

function restoreFromNuGet() {
  const packages = join(bicepCache, 'packages');
  const executable = join(packages, BICEP_PACKAGE.toLowerCase(), BICEP_VERSION, 'tools', 'bicep');
  if (!existsSync(executable)) {
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
    if (!works('dotnet'))
      throw new BicepUnavailable('bicep is not on PATH and the .NET SDK (dotnet) is missing');
    const restore = run('dotnet', ['restore', project, '--packages', packages, '--nologo'], {
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
    });
    if (restore.status !== 0 || !existsSync(executable)) {
      throw new BicepUnavailable(
        `dotnet restore of ${BICEP_PACKAGE} ${BICEP_VERSION} failed:\n${restore.output.trim()}`,
      );
    }
  }
  chmodSync(executable, 0o755); // NuGet extracts without the executable bit
  return executable;
}

function findBicep() {
  const candidates = [process.env.BICEP_PATH, 'bicep'].filter(Boolean);
  for (const candidate of candidates) {
    const version = works(candidate);
    if (version) return { bicep: candidate, version };
  }
  const restored = restoreFromNuGet();
  const version = works(restored);
  if (!version) throw new BicepUnavailable(`${restored} was restored but does not run`);
  return { bicep: restored, version };
}

/** Runs a bicep command; any diagnostic (warning or error) fails the check. */
function bicepStep(bicep, label, args, options) {
  const { status, output } = run(bicep, args, options);
  const diagnostics = output.split('\n').filter((line) => / : (Warning|Error) /.test(line));
  if (status !== 0 || diagnostics.length > 0) {
    throw new CheckError(`bicep ${label} failed:\n${output.trim()}`);
  }
  console.log(`bicep ${label}: ok`);
}

function main() {
  const { bicep, version } = findBicep();
  console.log(`${version} (${bicep})`);
  mkdirSync(outDir, { recursive: true });

  bicepStep(bicep, 'build', ['build', join(infraDir, 'main.bicep'), '--outfile', join(outDir, 'main.json')]);
  bicepStep(bicep, 'lint', ['lint', '--pattern', `${infraDir}/**/*.bicep`]);

  // Snapshot a copy, so the generated file never lands in infra/ (and nothing there is overwritten).
  const work = join(outDir, 'work');
  rmSync(work, { recursive: true, force: true });
  cpSync(infraDir, work, { recursive: true, filter: (src) => !src.endsWith('.snapshot.json') });
  const { tenantId, subscriptionId, resourceGroup, location, secrets } = SNAPSHOT_CONTEXT;
  bicepStep(
    bicep,
    'snapshot',
    [
      'snapshot',
      join(work, 'main.bicepparam'),
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
    { env: { ...process.env, ...secrets } },
  );
  renameSync(join(work, 'main.snapshot.json'), join(outDir, 'main.snapshot.json'));
  writeFileSync(join(outDir, 'snapshot-context.json'), `${JSON.stringify(SNAPSHOT_CONTEXT, null, 2)}\n`);
  rmSync(work, { recursive: true, force: true });
  console.log(`snapshot: ${join(outDir, 'main.snapshot.json')}`);
}

try {
  main();
} catch (error) {
  if (!(error instanceof CheckError)) throw error;
  console.error(`infra:check FAILED — ${error.message}`);
  if (error instanceof BicepUnavailable) {
    console.error(
      `The Bicep CLI could not be obtained. Put bicep on PATH (or set BICEP_PATH), or make the .NET SDK and NuGet (${BICEP_PACKAGE} ${BICEP_VERSION}) reachable.`,
    );
  }
  process.exit(1);
}
