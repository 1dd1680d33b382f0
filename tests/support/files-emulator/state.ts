// The emulated account: shares holding a tree of directories and files, in memory. Names are
// case-insensitive and case-preserving, as on the real service. Every rule about the tree that
// decides a status code lives here so the router stays a translation layer (names: names.ts,
// leases: leases.ts, SMB properties: smb.ts).

import { MAX_FILE_BYTES, SparseContent } from './content.js';
import type { Leased } from './leases.js';
import type { SmbProperties } from './smb.js';

/** A failure the service reports: HTTP status, x-ms-error-code, message. */
export class ServiceError extends Error {
  /** Extra response headers the error carries (a 416's Content-Range). */
  headers: Record<string, string> = {};
  /** Extra elements of the XML error body after Message (AuthenticationErrorDetail, HeaderName). */
  details: Record<string, string> = {};

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

interface Stamped {
  name: string;
  id: string;
  /** The containing directory; none for a share's root. */
  parent?: DirectoryNode;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  smb: SmbProperties;
}
export interface FileNode extends Stamped, Leased {
  kind: 'file';
  content: SparseContent;
}
export interface DirectoryNode extends Stamped {
  kind: 'directory';
  children: Map<string, FileNode | DirectoryNode>;
}
export type Node = FileNode | DirectoryNode;

const key = (name: string) => name.toLowerCase();

const tooLarge = () =>
  new ServiceError(
    400,
    'InvalidHeaderValue',
    'x-ms-content-length is larger than the 4 TiB a file can hold.',
  );

export class Account {
  readonly shares = new Map<string, DirectoryNode>();
  #version = 0;
  #ids = 0;

  /** Gives a node a new ETag, Last-Modified and change time: every change goes through here. */
  touch<T extends Node>(node: T): T {
    node.etag = `"0x8D${(++this.#version).toString(16).toUpperCase().padStart(13, '0')}"`;
    node.lastModified = new Date();
    node.smb.changed = node.lastModified;
    return node;
  }

  createShare(name: string, rootSmb: SmbProperties): DirectoryNode {
    if (this.shares.has(name))
      throw new ServiceError(409, 'ShareAlreadyExists', 'The specified share already exists.');
    // The root directory's id is 0: entries directly below it report x-ms-file-parent-id 0.
    const root = this.touch<DirectoryNode>({
      ...this.#stamp('', undefined, {}, rootSmb),
      id: '0',
      kind: 'directory',
      children: new Map(),
    });
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
    const node = this.existing(share, segments);
    if (!node) throw notFound();
    return node;
  }

  /** The node at segments if there is one; the parent must exist. */
  existing(share: string, segments: string[]): Node | undefined {
    if (segments.length === 0) return this.share(share);
    return this.parent(share, segments).children.get(key(segments.at(-1)!));
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

  createDirectory(
    share: string,
    segments: string[],
    metadata: Record<string, string>,
    smb: SmbProperties,
  ): DirectoryNode {
    const parent = this.parent(share, segments);
    const existing = parent.children.get(key(segments.at(-1)!));
    if (existing?.kind === 'directory') {
      throw new ServiceError(409, 'ResourceAlreadyExists', 'The specified resource already exists.');
    }
    if (existing) throw typeMismatch();
    const directory = this.touch<DirectoryNode>({
      ...this.#stamp(segments.at(-1)!, parent, metadata, smb),
      kind: 'directory',
      children: new Map(),
    });
    parent.children.set(key(directory.name), directory);
    this.touch(parent);
    return directory;
  }

  /** Create File: a new file of `size` zero bytes, or the existing one emptied and resized (keeping id and lease). */
  createFile(
    share: string,
    segments: string[],
    size: number,
    metadata: Record<string, string>,
    smb: SmbProperties,
  ): FileNode {
    if (size > MAX_FILE_BYTES) throw tooLarge();
    const parent = this.parent(share, segments);
    const existing = parent.children.get(key(segments.at(-1)!));
    if (existing?.kind === 'directory') throw typeMismatch();
    const file: FileNode = existing ?? {
      ...this.#stamp(segments.at(-1)!, parent, metadata, smb),
      kind: 'file',
      content: new SparseContent(),
    };
    file.content = new SparseContent();
    file.content.resize(size);
    file.metadata = metadata;
    file.smb = smb;
    parent.children.set(key(file.name), this.touch(file));
    return file;
  }

  putRange(file: FileNode, start: number, end: number, body: Buffer | undefined): FileNode {
    if (end >= file.content.size) {
      throw new ServiceError(
        416,
        'InvalidRange',
        'The range specified is invalid for the current size of the resource.',
      );
    }
    if (body && body.length !== end - start + 1) {
      throw new ServiceError(400, 'InvalidHeaderValue', 'The body length does not match the range.');
    }
    if (body) file.content.write(start, body);
    else file.content.clear(start, end);
    file.smb.lastWrite = new Date();
    return this.touch(file);
  }

  resize(file: FileNode, size: number): FileNode {
    if (size > MAX_FILE_BYTES) throw tooLarge();
    file.content.resize(size);
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

  /**
   * Rename File / Rename Directory within a share: the node keeps its id and content and moves
   * under the destination's parent with the destination's name. `replace` is what
   * x-ms-file-rename-replace-if-exists allows: an existing destination file is replaced; without
   * it, or when a directory is in the way, 409 as recorded (ResourceAlreadyExists).
   */
  rename(share: string, source: Node, target: string[], replace: (existing: Node) => void): Node {
    const parent = this.parent(share, target);
    const name = target.at(-1)!;
    const existing = parent.children.get(key(name));
    if (existing && existing !== source) {
      if (existing.kind !== source.kind) throw typeMismatch();
      if (existing.kind === 'directory') {
        throw new ServiceError(409, 'ResourceAlreadyExists', 'The specified resource already exists.');
      }
      replace(existing);
    }
    // Moving a directory below itself would cut it off the tree; the reference does not name the
    // error, so the emulator refuses with the generic 400 for a bad request.
    for (let node: DirectoryNode | undefined = parent; node; node = node.parent) {
      if (node === source)
        throw new ServiceError(400, 'InvalidInput', 'A directory cannot be moved below itself.');
    }
    const from = source.parent!;
    from.children.delete(key(source.name));
    this.touch(from);
    source.name = name;
    source.parent = parent;
    parent.children.set(key(name), source);
    this.touch(parent);
    return this.touch(source);
  }

  #stamp(
    name: string,
    parent: DirectoryNode | undefined,
    metadata: Record<string, string>,
    smb: SmbProperties,
  ): Stamped {
    return { name, id: String(++this.#ids), parent, etag: '', lastModified: new Date(), metadata, smb };
  }
}
