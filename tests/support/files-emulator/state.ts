// The emulated account: shares holding a tree of directories and files, in memory. Names are
// case-insensitive and case-preserving, as on the real service. Every rule that decides a status
// code lives here so the router stays a translation layer.

/** A failure the service reports: HTTP status, x-ms-error-code, message. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = () => new ServiceError(404, 'ResourceNotFound', 'The specified resource does not exist.');
const parentNotFound = () =>
  new ServiceError(404, 'ParentNotFound', 'The specified parent path does not exist.');
const typeMismatch = () =>
  new ServiceError(
    409,
    'ResourceTypeMismatch',
    'The specified resource type does not match the type of the existing resource.',
  );

/** Largest file the emulator holds in memory (the real limit is 4 TiB). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

interface Stamped {
  name: string;
  id: string;
  etag: string;
  created: Date;
  lastModified: Date;
  metadata: Record<string, string>;
}
export interface FileNode extends Stamped {
  kind: 'file';
  content: Buffer;
}
export interface DirectoryNode extends Stamped {
  kind: 'directory';
  children: Map<string, FileNode | DirectoryNode>;
}
export type Node = FileNode | DirectoryNode;

const key = (name: string) => name.toLowerCase();

export class Account {
  readonly shares = new Map<string, DirectoryNode>();
  #version = 0;

  /** Gives a node a new ETag and Last-Modified: every change goes through here. */
  touch<T extends Node>(node: T): T {
    node.etag = `"0x8D${(++this.#version).toString(16).toUpperCase().padStart(13, '0')}"`;
    node.lastModified = new Date();
    return node;
  }

  createShare(name: string): DirectoryNode {
    if (this.shares.has(name))
      throw new ServiceError(409, 'ShareAlreadyExists', 'The specified share already exists.');
    const root = this.#directory('', {});
    this.shares.set(name, root);
    return root;
  }

  share(name: string): DirectoryNode {
    const root = this.shares.get(name);
    if (!root) throw new ServiceError(404, 'ShareNotFound', 'The specified share does not exist.');
    return root;
  }

  /** The node at segments, or why not (ParentNotFound when an ancestor is missing or a file). */
  find(share: string, segments: string[]): Node {
    if (segments.length === 0) return this.share(share);
    const node = this.parent(share, segments).children.get(key(segments.at(-1)!));
    if (!node) throw notFound();
    return node;
  }

  file(share: string, segments: string[]): FileNode {
    const node = this.find(share, segments);
    if (node.kind !== 'file') throw notFound(); // the service reports a directory as "not found" to file calls
    return node;
  }

  directory(share: string, segments: string[]): DirectoryNode {
    const node = this.find(share, segments);
    if (node.kind !== 'directory') throw notFound();
    return node;
  }

  parent(share: string, segments: string[]): DirectoryNode {
    let current = this.share(share);
    for (const segment of segments.slice(0, -1)) {
      const next = current.children.get(key(segment));
      if (next?.kind !== 'directory') throw parentNotFound();
      current = next;
    }
    return current;
  }

  createDirectory(share: string, segments: string[], metadata: Record<string, string>): DirectoryNode {
    const parent = this.parent(share, segments);
    const existing = parent.children.get(key(segments.at(-1)!));
    if (existing?.kind === 'directory') {
      throw new ServiceError(409, 'ResourceAlreadyExists', 'The specified resource already exists.');
    }
    if (existing) throw typeMismatch();
    const directory = this.#directory(segments.at(-1)!, metadata);
    parent.children.set(key(directory.name), directory);
    this.touch(parent);
    return directory;
  }

  /** Create File: a new file of `size` zero bytes, or the existing one emptied and resized. */
  createFile(share: string, segments: string[], size: number, metadata: Record<string, string>): FileNode {
    if (size > MAX_FILE_BYTES) {
      throw new ServiceError(
        400,
        'InvalidHeaderValue',
        'x-ms-content-length is larger than the emulator holds.',
      );
    }
    const parent = this.parent(share, segments);
    const existing = parent.children.get(key(segments.at(-1)!));
    if (existing?.kind === 'directory') throw typeMismatch();
    const file: FileNode = existing ?? {
      ...this.#stamp(segments.at(-1)!, metadata),
      kind: 'file',
      content: Buffer.alloc(0),
    };
    file.content = Buffer.alloc(size);
    file.metadata = metadata;
    parent.children.set(key(file.name), this.touch(file));
    return file;
  }

  putRange(file: FileNode, start: number, end: number, body: Buffer | undefined): FileNode {
    if (end >= file.content.length) {
      throw new ServiceError(
        416,
        'InvalidRange',
        'The range specified is invalid for the current size of the resource.',
      );
    }
    if (body && body.length !== end - start + 1) {
      throw new ServiceError(400, 'InvalidHeaderValue', 'The body length does not match the range.');
    }
    if (body) body.copy(file.content, start);
    else file.content.fill(0, start, end + 1);
    return this.touch(file);
  }

  resize(file: FileNode, size: number): FileNode {
    const content = Buffer.alloc(size);
    file.content.copy(content, 0, 0, Math.min(size, file.content.length));
    file.content = content;
    return this.touch(file);
  }

  delete(share: string, segments: string[], kind: Node['kind']): void {
    const node = kind === 'file' ? this.file(share, segments) : this.directory(share, segments);
    if (node.kind === 'directory' && node.children.size > 0) {
      throw new ServiceError(409, 'DirectoryNotEmpty', 'The specified directory is not empty.');
    }
    const parent = this.parent(share, segments);
    parent.children.delete(key(node.name));
    this.touch(parent);
  }

  #directory(name: string, metadata: Record<string, string>): DirectoryNode {
    return this.touch({ ...this.#stamp(name, metadata), kind: 'directory', children: new Map() });
  }

  #stamp(name: string, metadata: Record<string, string>): Stamped {
    const now = new Date();
    return { name, id: String(this.#version + 1), etag: '', created: now, lastModified: now, metadata };
  }
}
