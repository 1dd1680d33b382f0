// The one connection record: which repository and branch the workspace follows.

import type { TableClient } from '@azure/data-tables';
import { compact } from './entities.js';
import type { Connection } from './types.js';
import { WORKSPACE_ID } from '../storage-names.js';
import { httpStatusOf } from '../azureStorage.js';

const PARTITION = 'connection';

type ConnectionEntity = Connection & { partitionKey: string; rowKey: string };

export type SyncOutcome = Pick<
  Connection,
  'lastSyncCommit' | 'lastSyncTime' | 'lastSyncDurationMs' | 'lastSyncStatus' | 'lastSyncError'
>;

export class ConnectionStore {
  /** fallback: the connection from GITHUB_REPOSITORY_URL / GITHUB_BRANCH, used until one is stored. */
  constructor(
    private readonly table: TableClient,
    private readonly fallback?: { repositoryUrl: string; branch: string },
  ) {}

  #recent?: { at: number; value: Promise<Connection | undefined> };

  /** The connection as this instance read it at most maxAgeMs ago (a fresh read otherwise). */
  async getRecent(maxAgeMs: number): Promise<Connection | undefined> {
    if (!this.#recent || Date.now() - this.#recent.at > maxAgeMs) {
      this.#recent = { at: Date.now(), value: this.get() };
    }
    try {
      return await this.#recent.value;
    } catch (error) {
      this.#recent = undefined;
      throw error;
    }
  }

  async get(): Promise<Connection | undefined> {
    const stored = await this.getStored();
    if (stored || !this.fallback) return stored;
    const epoch = new Date(0).toISOString();
    return { ...this.fallback, enabled: true, createdAt: epoch, updatedAt: epoch };
  }

  private async getStored(): Promise<Connection | undefined> {
    try {
      const {
        partitionKey: _p,
        rowKey: _r,
        ...fields
      } = await this.table.getEntity<ConnectionEntity>(PARTITION, WORKSPACE_ID);
      return compact({
        repositoryUrl: fields.repositoryUrl,
        branch: fields.branch,
        enabled: fields.enabled,
        createdAt: fields.createdAt,
        updatedAt: fields.updatedAt,
        lastSyncCommit: fields.lastSyncCommit,
        lastSyncTime: fields.lastSyncTime,
        lastSyncDurationMs: fields.lastSyncDurationMs,
        lastSyncStatus: fields.lastSyncStatus,
        lastSyncError: fields.lastSyncError || undefined,
      });
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Connects (or reconnects) the workspace; a new repository or branch forgets the last synced commit. */
  async connect(repositoryUrl: string, branch: string): Promise<Connection> {
    const now = new Date().toISOString();
    const existing = await this.get();
    const same = existing?.repositoryUrl === repositoryUrl && existing.branch === branch;
    const connection: Connection = {
      ...(same ? existing : {}),
      repositoryUrl,
      branch,
      enabled: true,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.table.upsertEntity(
      { partitionKey: PARTITION, rowKey: WORKSPACE_ID, ...connection },
      'Replace',
    );
    this.#recent = undefined;
    return connection;
  }

  /** Stops syncing and allows editing again; the record (and its history) stays. */
  async disconnect(): Promise<Connection | undefined> {
    const existing = await this.get();
    if (!existing) return undefined;
    const connection = { ...existing, enabled: false, updatedAt: new Date().toISOString() };
    await this.table.upsertEntity(
      { partitionKey: PARTITION, rowKey: WORKSPACE_ID, ...connection },
      'Replace',
    );
    this.#recent = undefined;
    return connection;
  }

  async recordSync(outcome: SyncOutcome): Promise<void> {
    // A connection so far known only from settings is stored whole, or the merge below would
    // leave a record with sync fields and no repository (which reads as "not connected").
    const base = (await this.getStored()) ? {} : await this.get();
    await this.table.upsertEntity(
      compact({
        partitionKey: PARTITION,
        rowKey: WORKSPACE_ID,
        ...base,
        ...outcome,
        lastSyncError: outcome.lastSyncError ?? '',
      }),
      'Merge',
    );
  }
}
