// Supplies the `@azure/functions-core` module that `@azure/functions` looks for with a plain
// `require`, so the app registers its functions with this runtime exactly as it does with the
// Azure Functions Node.js worker. The worker does the same thing (it wraps
// `Module.prototype.require`); we mirror that rather than invent a second route table.
//
// Only the part of the core API the library calls is here; the shapes follow `types-core`
// in Azure/azure-functions-nodejs-library.

import Module from 'node:module';

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type LogCategory = 'user' | 'system' | 'customMetric';

export interface TypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: HttpData | null;
  int?: number | null;
}

export interface HttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  query?: Record<string, string> | null;
  params?: Record<string, string> | null;
  body?: TypedData | null;
  statusCode?: string | null;
  cookies?: unknown[] | null;
}

export interface BindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, BindingInfo>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface InvocationRequest {
  invocationId: string;
  functionId: string;
  inputData: { name: string; data: TypedData }[];
  triggerMetadata: Record<string, TypedData>;
}

export interface InvocationResponse {
  invocationId?: string | null;
  outputData?: { name?: string | null; data?: TypedData | null }[] | null;
  returnValue?: TypedData | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: InvocationRequest;
  metadata: FunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: LogLevel, category: LogCategory, message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<InvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(
    capabilities: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
}

// Log hooks are not supported here: registering one fails loudly instead of being ignored.
export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate';
export type HookCallback = (context: Record<string, unknown>) => unknown;

export interface Registration {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** What the app registered through the core API. */
export interface CoreRegistry {
  readonly functions: Registration[];
  readonly hooks: Map<HookName, HookCallback[]>;
  /** Shared by all hooks of the app (`appHookData`). */
  readonly appHookData: Record<string, unknown>;
  programmingModel(): ProgrammingModel;
}

export type SystemLogger = (level: LogLevel, category: LogCategory, message: string) => void;

class Disposable {
  static from(...items: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  #dispose?: () => unknown;
  constructor(callOnDispose: () => unknown) {
    this.#dispose = callOnDispose;
  }
  dispose(): unknown {
    const dispose = this.#dispose;
    this.#dispose = undefined;
    return dispose?.();
  }
}

const HOOK_NAMES: HookName[] = ['preInvocation', 'postInvocation', 'appStart', 'appTerminate'];

/** Builds the core API object and the registry it fills. */
export function createCoreApi(log: SystemLogger): { api: object; registry: CoreRegistry } {
  const functions: Registration[] = [];
  const hooks = new Map<HookName, HookCallback[]>(HOOK_NAMES.map((name) => [name, []]));
  let model: ProgrammingModel | undefined;

  const api = {
    version: 'dev-runtime',
    hostVersion: 'dev-runtime',
    Disposable,
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
      if (functions.some((f) => f.metadata.name.toLowerCase() === metadata.name.toLowerCase())) {
        // The Functions host refuses duplicate names too; failing loudly beats shadowing a route.
        throw new Error(`A function named "${metadata.name}" is already registered`);
      }
      const registration = { metadata, callback };
      functions.push(registration);
      return new Disposable(() => functions.splice(functions.indexOf(registration), 1));
    },
    registerHook(name: HookName, callback: HookCallback): Disposable {
      const list = hooks.get(name);
      if (!list) throw new RangeError(`Unknown hook "${name}"`);
      list.push(callback);
      return new Disposable(() => list.splice(list.indexOf(callback), 1));
    },
    setProgrammingModel(programmingModel: ProgrammingModel): void {
      model = programmingModel;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return model;
    },
    log,
  };

  const registry: CoreRegistry = {
    functions,
    hooks,
    appHookData: {},
    programmingModel() {
      if (!model) throw new Error('The app registered no functions through @azure/functions');
      return model;
    },
  };
  return { api, registry };
}

let installed: object | undefined;

/**
 * Makes `require('@azure/functions-core')` return `api` in this process. Must run before the
 * app (and so `@azure/functions`) is imported; the library caches what it gets on first use.
 */
export function installCoreModule(api: object): void {
  if (installed) throw new Error('@azure/functions-core is already installed in this process');
  installed = api;
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, args: [string]) {
      return args[0] === '@azure/functions-core' ? installed : Reflect.apply(target, thisArg, args);
    },
  });
}
