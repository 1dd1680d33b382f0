// File content as the service holds it: up to 4 TiB, zero-filled where nothing was written.
// Only written pages take memory, so a test can create a 4 TiB file, write its last byte and
// read it back. Limits: https://learn.microsoft.com/rest/api/storageservices/create-file
// (x-ms-content-length "up to 4 TiB") and Azure Files scale targets (maximum file size 4 TiB).

/** Largest file the service allows: 4 TiB. */
export const MAX_FILE_BYTES = 4 * 1024 ** 4;

/** Pages are allocated on first write; a page never extends past the size it was written at. */
const PAGE_BYTES = 1024 * 1024;

export class SparseContent {
  #pages = new Map<number, Buffer>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Bytes held in memory (for tests of the emulator's own footprint). */
  get allocatedBytes(): number {
    let total = 0;
    for (const page of this.#pages.values()) total += page.length;
    return total;
  }

  /** Sets the size; bytes past the new end are dropped, so growing again reads zeros there. */
  resize(size: number): void {
    for (const [index, page] of this.#pages) {
      const start = index * PAGE_BYTES;
      if (start >= size) this.#pages.delete(index);
      else if (start + page.length > size)
        this.#pages.set(index, Buffer.from(page.subarray(0, size - start)));
    }
    this.#size = size;
  }

  /** Writes data at offset; the caller has checked that it lies within the size. */
  write(offset: number, data: Buffer): void {
    let done = 0;
    while (done < data.length) {
      const position = offset + done;
      const index = Math.floor(position / PAGE_BYTES);
      const within = position - index * PAGE_BYTES;
      const count = Math.min(PAGE_BYTES - within, data.length - done);
      data.copy(this.#page(index, within + count), within, done, done + count);
      done += count;
    }
  }

  /** Zeros [start, end] inclusive, freeing whole pages (Put Range with x-ms-write: clear). */
  clear(start: number, end: number): void {
    for (const [index, page] of this.#pages) {
      const pageStart = index * PAGE_BYTES;
      const from = Math.max(start, pageStart) - pageStart;
      const to = Math.min(end + 1, pageStart + page.length) - pageStart;
      if (from >= to) continue;
      if (from === 0 && to === page.length) this.#pages.delete(index);
      else page.fill(0, from, to);
    }
  }

  /** The bytes of [start, end] inclusive, a page at a time, zeros where nothing was written. */
  *read(start: number, end: number): Generator<Buffer> {
    for (let position = start; position <= end;) {
      const index = Math.floor(position / PAGE_BYTES);
      const within = position - index * PAGE_BYTES;
      const count = Math.min(PAGE_BYTES - within, end - position + 1);
      const page = this.#pages.get(index);
      const chunk = Buffer.alloc(count);
      if (page) page.copy(chunk, 0, within, Math.min(within + count, page.length));
      yield chunk;
      position += count;
    }
  }

  /** The page at index, allocated or grown so that it holds at least `length` bytes. */
  #page(index: number, length: number): Buffer {
    const existing = this.#pages.get(index);
    if (existing && existing.length >= length) return existing;
    const wanted = Math.min(PAGE_BYTES, this.#size - index * PAGE_BYTES);
    const page = Buffer.alloc(Math.max(wanted, length));
    existing?.copy(page);
    this.#pages.set(index, page);
    return page;
  }
}
