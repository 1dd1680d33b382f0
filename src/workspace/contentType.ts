// Content-Type for a workspace file, from its extension only (the store keeps no content type).

import { contentType as mimeContentType } from 'mime-types';
import { nameOf } from './paths.js';

const FALLBACK = 'application/octet-stream';

export function contentTypeFor(path: string): string {
  const name = nameOf(path);
  // mime-types treats an extension-less name as an extension ("Makefile" → nothing, "json" → JSON),
  // so only names with a dot after their first character are looked up.
  if (name.lastIndexOf('.') <= 0) return FALLBACK;
  return mimeContentType(name) || FALLBACK;
}
