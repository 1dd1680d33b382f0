// The one connection record: which repository and branch the workspace follows.

import type { TableClient } from '@azure/data-tables';
import { compact, fromJson, toJson } from './entities.js';
import type { ActorRef, Connection, ConnectionWebhook } from './types.js';
import { WORKSPACE_ID } from '../storage-names.js';
import { httpStatusOf } from '../azureStorage.js';

const PARTITION = 'connection';

/** Nested fields are stored as JSON strings (Table Storage entities are flat). */
type ConnectionEntity = Omit<Connection, 'createdBy' | 'updatedBy' | 'webhook'> & {
  partitionKey: string;
  rowKey: string;
  createdBy?: string;
  updatedBy?: string;
  webhook?: string;
};

/** What a connect stores beside the repository and branch (never a secret). */
export interface ConnectDetails {
  by?: ActorRef;
  tokenSource?: Connection['tokenSource'];
  tokenExpiresAt?: string;
  webhook?: ConnectionWebhook;
}

function toEntity(connection: Connection): ConnectionEntity {
  return compact({
    ...connection,
    partitionKey: PARTITION,
    rowKey: WORKSPACE_ID,
    createdBy: toJson(connection.createdBy),
    updatedBy: toJson(connection.updatedBy),
    webhook: toJson(connection.webhook),
  });
}

export type LastSyncFields = Pick<
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
        createdBy: fromJson<ActorRef>(fields.createdBy),
        updatedBy: fromJson<ActorRef>(fields.updatedBy),
        tokenSource: fields.tokenSource || undefined,
        tokenExpiresAt: fields.tokenExpiresAt || undefined,
        webhook: fromJson<ConnectionWebhook>(fields.webhook),
      });
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Connects (or reconnects) the workspace; a new repository or branch forgets the last synced commit. */
  async connect(repositoryUrl: string, branch: string, details: ConnectDetails = {}): Promise<Connection> {
    const now = new Date().toISOString();
    const existing = await this.get();
    const same = existing?.repositoryUrl === repositoryUrl && existing.branch === branch;
    // A new repository or branch is a new connection: new creator, no last-sync history.
    const kept = same && existing.enabled ? existing : undefined;
    const connection: Connection = {
      ...(same ? existing : {}),
      repositoryUrl,
      branch,
      enabled: true,
      createdAt: kept?.createdAt ?? now,
      createdBy: kept ? kept.createdBy : details.by,
      updatedAt: now,
      updatedBy: details.by,
      tokenSource: details.tokenSource,
      tokenExpiresAt: details.tokenExpiresAt,
      webhook: details.webhook,
    };
    await this.table.upsertEntity(toEntity(connection), 'Replace');
    this.#recent = undefined;
    return connection;
  }

  /** Replaces the stored record's fields (the webhook after a rotation, say); undefined when none. */
  async update(patch: Partial<Connection>): Promise<Connection | undefined> {
    const existing = await this.getStored();
    if (!existing) return undefined;
    const connection = { ...existing, ...patch, updatedAt: new Date().toISOString() };
    await this.table.upsertEntity(toEntity(connection), 'Replace');
    this.#recent = undefined;
    return connection;
  }

  /** Stops syncing and allows editing again; the record (and its history) stays, without a webhook. */
  async disconnect(by?: ActorRef): Promise<Connection | undefined> {
    const existing = await this.get();
    if (!existing) return undefined;
    const connection: Connection = {
      ...existing,
      enabled: false,
      webhook: undefined,
      tokenSource: undefined,
      tokenExpiresAt: undefined,
      updatedAt: new Date().toISOString(),
      updatedBy: by,
    };
    await this.table.upsertEntity(toEntity(connection), 'Replace');
    this.#recent = undefined;
    return connection;
  }

  async recordSync(outcome: LastSyncFields): Promise<void> {
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
