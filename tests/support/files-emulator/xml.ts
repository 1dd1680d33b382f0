// XML bodies in the shapes the Azure Files REST API documents: the error body and the
// List Directories and Files result.

import type { Node } from './state.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
/** Element text needs & < > escaped; attribute values also need ". */
const escapeXml = (text: string) => text.replace(/[&<>]/g, (c) => ENTITIES[c]!);
const escapeAttribute = (text: string) => text.replace(/[&<>"]/g, (c) => ENTITIES[c]!);

const element = (name: string, content: string | number) => `<${name}>${content}</${name}>`;

/** Timestamps the REST API writes as ISO 8601 with seven fractional digits. */
const isoTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

export function errorXml(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><Error>' +
    element('Code', code) +
    element('Message', escapeXml(`${message}\nRequestId:${requestId}\nTime:${isoTime(new Date())}`)) +
    '</Error>'
  );
}

export interface ListPage {
  serviceEndpoint: string;
  share: string;
  directoryPath: string;
  prefix?: string;
  marker?: string;
  maxResults?: number;
  entries: Node[];
  nextMarker?: string;
  include: { timestamps: boolean; etag: boolean };
}

export function listXml(page: ListPage): string {
  const attributes = `ServiceEndpoint="${escapeAttribute(page.serviceEndpoint)}" ShareName="${escapeAttribute(page.share)}" DirectoryPath="${escapeAttribute(page.directoryPath)}"`;
  return (
    `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ${attributes}>` +
    (page.prefix ? element('Prefix', escapeXml(page.prefix)) : '') +
    (page.marker ? element('Marker', escapeXml(page.marker)) : '') +
    (page.maxResults ? element('MaxResults', page.maxResults) : '') +
    `<Entries>${page.entries.map((node) => entryXml(node, page.include)).join('')}</Entries>` +
    (page.nextMarker ? element('NextMarker', escapeXml(page.nextMarker)) : '<NextMarker />') +
    '</EnumerationResults>'
  );
}

function entryXml(node: Node, include: ListPage['include']): string {
  const properties = [
    node.kind === 'file' ? element('Content-Length', node.content.length) : '',
    include.timestamps
      ? element('CreationTime', isoTime(node.created)) +
        element('LastAccessTime', isoTime(node.lastModified)) +
        element('LastWriteTime', isoTime(node.lastModified)) +
        element('ChangeTime', isoTime(node.lastModified)) +
        element('Last-Modified', node.lastModified.toUTCString())
      : '',
    include.etag ? element('Etag', escapeXml(node.etag)) : '',
  ].join('');
  const tag = node.kind === 'file' ? 'File' : 'Directory';
  return `<${tag}>${element('FileId', node.id)}${element('Name', escapeXml(node.name))}${element('Properties', properties)}</${tag}>`;
}
