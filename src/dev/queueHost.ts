// Storage queue triggers with the Functions host's semantics (host.json `extensions.queues`):
// - polls with exponential backoff up to `maxPollingInterval` while the queue is empty;
// - fetches `batchSize` messages and fetches again once no more than `newBatchThreshold` run;
// - keeps a running message invisible (renewed lease), deletes it on success;
// - on failure makes it visible again after `visibilityTimeout`, or once it has been dequeued
//   `maxDequeueCount` times copies it to `<queue>-poison` and deletes it;
// - with `messageEncoding: base64`, a message that is not base64 goes to the poison queue
//   unprocessed, as the host's queue extension does;
// - passes `dequeueCount`, `id`, `popReceipt`, times and the text as trigger metadata.

import { httpStatusOf } from '../azureStorage.js';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';
import type { CoreRegistry, Registration, TypedData } from './coreShim.js';
import type { QueueOptions } from './hostConfig.js';
import { invoke } from './invoke.js';
import type { Logger } from './log.js';

const MIN_POLL_MS = 100;

export interface QueueHost {
  /** Stops polling and waits up to `graceMs` for running messages; unfinished ones are made visible again. */
  stop(graceMs: number): Promise<void>;
}

interface Running {
  message: DequeuedMessageItem;
  popReceipt: string;
  done: Promise<void>;
}

export function decodeMessage(text: string, encoding: QueueOptions['messageEncoding']): string | undefined {
  if (encoding === 'none') return text;
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

function metadataFor(
  message: DequeuedMessageItem,
  popReceipt: string,
  text: string,
): Record<string, TypedData> {
  const time = (date: Date) => ({ json: JSON.stringify(date.toISOString()) });
  return {
    DequeueCount: { json: String(message.dequeueCount) },
    Id: { string: message.messageId },
    PopReceipt: { string: popReceipt },
    InsertionTime: time(message.insertedOn),
    ExpirationTime: time(message.expiresOn),
    NextVisibleTime: time(message.nextVisibleOn),
    QueueTrigger: { string: text },
  };
}

const isNotFound = (error: unknown) => httpStatusOf(error) === 404;

/** Waits ms, or less when signal aborts; the abort listener goes when the wait ends either way. */
export const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

function startQueueTrigger(options: {
  registry: CoreRegistry;
  registration: Registration;
  triggerName: string;
  connectionString: string;
  queueName: string;
  queue: QueueOptions;
  logger: Logger;
}): QueueHost {
  const { registry, registration, triggerName, queueName, queue: opts, logger } = options;
  const client = new QueueClient(options.connectionString, queueName);
  const poison = new QueueClient(options.connectionString, `${queueName}-poison`);
  const name = registration.metadata.name;
  const running = new Set<Running>();
  const stopping = new AbortController();
  const leaseSeconds = Math.max(1, Math.ceil(opts.processingLeaseMs / 1000));
  let wake: (() => void) | undefined;

  const moveToPoison = async (message: DequeuedMessageItem, popReceipt: string, why: string) => {
    await poison.createIfNotExists();
    await poison.sendMessage(message.messageText);
    await client.deleteMessage(message.messageId, popReceipt);
    logger.warn(`${name}: message ${message.messageId} moved to ${queueName}-poison (${why})`);
  };

  const run = async (entry: Running) => {
    const { message } = entry;
    // Keep the message invisible while it runs, as the host's renewal loop does.
    const renew = setInterval(() => {
      client
        .updateMessage(message.messageId, entry.popReceipt, undefined, leaseSeconds)
        .then((r) => (entry.popReceipt = r.popReceipt ?? entry.popReceipt))
        .catch((error: Error) => logger.warn(`${name}: could not renew message lease: ${error.message}`));
    }, opts.processingLeaseMs / 2);
    try {
      const text = decodeMessage(message.messageText, opts.messageEncoding);
      if (text === undefined) {
        await moveToPoison(
          message,
          entry.popReceipt,
          'not a base64 message; host.json says messageEncoding base64',
        );
        return;
      }
      const invocationId = randomUUID();
      try {
        await invoke(
          registry,
          registration,
          {
            invocationId,
            inputData: [{ name: triggerName, data: { string: text } }],
            triggerMetadata: metadataFor(message, entry.popReceipt, text),
          },
          logger,
        );
      } catch (error) {
        clearInterval(renew);
        logger.error(
          `${name} (${invocationId.slice(0, 8)}) failed (dequeue ${message.dequeueCount}/${opts.maxDequeueCount}): ${
            (error as Error)?.message ?? String(error)
          }`,
        );
        if (message.dequeueCount >= opts.maxDequeueCount) {
          await moveToPoison(message, entry.popReceipt, `failed ${message.dequeueCount} times`);
        } else {
          await client.updateMessage(
            message.messageId,
            entry.popReceipt,
            undefined,
            Math.ceil(opts.visibilityTimeoutMs / 1000),
          );
        }
        return;
      }
      clearInterval(renew);
      await client.deleteMessage(message.messageId, entry.popReceipt);
    } catch (error) {
      logger.error(`${name}: queue bookkeeping failed for ${message.messageId}: ${(error as Error).message}`);
    } finally {
      clearInterval(renew);
      running.delete(entry);
      wake?.();
    }
  };

  const poll = async () => {
    let delay = MIN_POLL_MS;
    while (!stopping.signal.aborted) {
      if (running.size > opts.newBatchThreshold) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const result = await client.receiveMessages({
          numberOfMessages: opts.batchSize,
          visibilityTimeout: leaseSeconds,
        });
        messages = result.receivedMessageItems;
      } catch (error) {
        if (!isNotFound(error))
          logger.warn(`${name}: polling ${queueName} failed: ${(error as Error).message}`);
      }
      if (stopping.signal.aborted) {
        // Received during shutdown: hand them straight back.
        await Promise.allSettled(
          messages.map((m) => client.updateMessage(m.messageId, m.popReceipt, undefined, 0)),
        );
        break;
      }
      if (messages.length === 0) {
        await abortableSleep(delay, stopping.signal);
        delay = Math.min(delay * 2, opts.maxPollingIntervalMs);
        continue;
      }
      delay = MIN_POLL_MS;
      for (const message of messages) {
        const entry = { message, popReceipt: message.popReceipt } as Running;
        running.add(entry);
        entry.done = run(entry);
      }
    }
  };
  const polling = poll();

  return {
    async stop(graceMs) {
      stopping.abort();
      wake?.();
      await polling;
      const all = Promise.all([...running].map((r) => r.done));
      const timedOut = await Promise.race([all.then(() => false), delay(graceMs, true, { ref: false })]);
      if (!timedOut) return;
      await Promise.allSettled(
        [...running].map((r) => {
          logger.warn(
            `${name}: message ${r.message.messageId} still running at shutdown; made visible again`,
          );
          return client.updateMessage(r.message.messageId, r.popReceipt, undefined, 0);
        }),
      );
    },
  };
}

export interface QueueTrigger {
  registration: Registration;
  triggerName: string;
  queueName: string;
  /** The app setting holding the connection string (`AzureWebJobsStorage` when unset). */
  connection: string;
}

export function queueTriggers(registrations: Registration[]): QueueTrigger[] {
  const triggers: QueueTrigger[] = [];
  for (const registration of registrations) {
    for (const [triggerName, binding] of Object.entries(registration.metadata.bindings)) {
      if (binding.type?.toLowerCase() !== 'queuetrigger') continue;
      triggers.push({
        registration,
        triggerName,
        queueName: String(binding.queueName),
        connection: String(binding.connection || 'AzureWebJobsStorage'),
      });
    }
  }
  return triggers;
}

/** `defaultConnection` stands for `AzureWebJobsStorage` (which may point at the Azurite we started). */
export function startQueueTriggers(
  triggers: QueueTrigger[],
  options: { registry: CoreRegistry; defaultConnection: string; queue: QueueOptions; logger: Logger },
): QueueHost[] {
  return triggers.map((trigger) => {
    const connectionString =
      trigger.connection === 'AzureWebJobsStorage'
        ? options.defaultConnection
        : process.env[trigger.connection];
    if (!connectionString)
      throw new Error(`Setting ${trigger.connection} is required by ${trigger.registration.metadata.name}`);
    return startQueueTrigger({ ...options, ...trigger, connectionString });
  });
}
