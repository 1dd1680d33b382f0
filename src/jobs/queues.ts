// Queue messages are JSON, base64-encoded: host.json's "messageEncoding": "base64" is what the
// Functions queue trigger decodes.

import type { QueueClient } from '@azure/storage-queue';
import type { SyncMessage, WorkspaceEvent } from './types.js';

export function encodeMessage(body: unknown): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

export class SyncQueue {
  constructor(private readonly queue: QueueClient) {}

  /** delaySeconds keeps the message invisible that long (a sync that met a held lease retries later). */
  async enqueue(message: SyncMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.queue.sendMessage(encodeMessage(message), { visibilityTimeout: options.delaySeconds });
  }
}

export class EventQueue {
  constructor(private readonly queue: QueueClient) {}

  async publish(event: WorkspaceEvent): Promise<void> {
    await this.queue.sendMessage(encodeMessage(event));
  }
}
