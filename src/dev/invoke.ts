// Runs one invocation the way the Node.js worker does: the app's programming model turns the
// request into arguments, pre-invocation hooks run, the handler runs, post-invocation hooks run,
// and the model turns the result into a response. A thrown handler error propagates.

import { randomUUID } from 'node:crypto';
import type {
  CoreInvocationContext,
  CoreRegistry,
  FunctionCallback,
  InvocationResponse,
  LogCategory,
  LogLevel,
  Registration,
  TypedData,
} from './coreShim.js';
import type { Logger } from './log.js';

export interface InvocationInput {
  invocationId?: string;
  inputData: { name: string; data: TypedData }[];
  triggerMetadata: Record<string, TypedData>;
}

export async function invoke(
  registry: CoreRegistry,
  registration: Registration,
  input: InvocationInput,
  logger: Logger,
): Promise<InvocationResponse> {
  const invocationId = input.invocationId ?? randomUUID();
  const { metadata } = registration;
  const coreContext: CoreInvocationContext = {
    invocationId,
    metadata,
    request: { invocationId, functionId: metadata.functionId ?? metadata.name, ...input },
    log: (level: LogLevel, category: LogCategory, message: string) =>
      logger.functionLog(metadata.name, invocationId, level, category, message),
  };
  const model = await registry.programmingModel().getInvocationModel(coreContext);
  const { context, inputs } = await model.getArguments();

  const hookData: Record<string, unknown> = {};
  const pre = {
    hookData,
    appHookData: registry.appHookData,
    invocationContext: context,
    inputs,
    functionCallback: registration.callback as FunctionCallback,
  };
  coreContext.state = 'preInvocationHooks';
  await runHooks(registry, 'preInvocation', pre);
  coreContext.state = 'invocation';

  const post = { ...pre, result: undefined as unknown, error: undefined as unknown };
  try {
    post.result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (error) {
    post.error = error;
  }
  coreContext.state = 'postInvocationHooks';
  await runHooks(registry, 'postInvocation', post);
  coreContext.state = undefined;

  if (post.error) throw post.error;
  return model.getResponse(context, post.result);
}

export async function runHooks(
  registry: CoreRegistry,
  name: 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate',
  context: Record<string, unknown>,
): Promise<void> {
  for (const hook of registry.hooks.get(name) ?? []) await hook(context);
}
