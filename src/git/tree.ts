// The commit's tree as `git ls-tree -r -z -l` prints it: path, mode, object id and size for
// every entry, taken from git's object database. No file content is read or hashed.

export interface TreeEntry {
  path: string;
  /** Git file mode: 100644, 100755, 120000 (symlink) or 160000 (submodule). */
  mode: string;
  sha: string;
  /** Blob size in bytes; 0 for submodules, which have none. */
  size: number;
}

export const LS_TREE_ARGS = ['ls-tree', '-r', '-z', '-l', '--full-tree', 'HEAD'];

/** Parses NUL-separated `<mode> <type> <sha> <size>\t<path>` records. */
export function parseLsTree(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const match = /^(\d{6}) (\w+) ([0-9a-f]{40,64}) +(\d+|-)$/.exec(record.slice(0, tab));
    if (tab < 0 || !match) throw new Error(`Unexpected git ls-tree output: ${JSON.stringify(record)}`);
    const [, mode, , sha, size] = match;
    entries.push({
      path: record.slice(tab + 1),
      mode: mode!,
      sha: sha!,
      size: size === '-' ? 0 : Number(size),
    });
  }
  return entries;
}
