// XML bodies in the shapes the Azure Files REST API documents: the error body and the
// List Directories and Files result
// (https://learn.microsoft.com/rest/api/storageservices/list-directories-and-files), element order
// as recorded in directoryclient/recording_listfilesanddirectories__with_all_attributes.json.

import { isoTime } from './smb.js';
import type { Node } from './state.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
/** Element text needs & < > escaped; attribute values also need ". */
const escapeXml = (text: string) => text.replace(/[&<>]/g, (c) => ENTITIES[c]!);
const escapeAttribute = (text: string) => text.replace(/[&<>"]/g, (c) => ENTITIES[c]!);

const element = (name: string, content: string | number) => `<${name}>${content}</${name}>`;

export function errorXml(
  code: string,
  message: string,
  requestId: string,
  details: Record<string, string> = {},
): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><Error>' +
    element('Code', code) +
    element('Message', escapeXml(`${message}\nRequestId:${requestId}\nTime:${isoTime(new Date())}`)) +
    Object.entries(details)
      .map(([name, text]) => element(name, escapeXml(text)))
      .join('') +
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
  /** The directory's own id, given with extended info. */
  directoryId?: string;
  include: ListInclude;
}

/** `include=Timestamps,Etag,Attributes,PermissionKey`; extended info adds FileId and DirectoryId. */
export interface ListInclude {
  timestamps: boolean;
  etag: boolean;
  attributes: boolean;
  permissionKey: boolean;
  extendedInfo: boolean;
}

export function listXml(page: ListPage): string {
  const attributes = `ServiceEndpoint="${escapeAttribute(page.serviceEndpoint)}" ShareName="${escapeAttribute(page.share)}" DirectoryPath="${escapeAttribute(page.directoryPath)}"`;
  return (
    `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ${attributes}>` +
    (page.prefix ? element('Prefix', escapeXml(page.prefix)) : '') +
    (page.marker ? element('Marker', escapeXml(page.marker)) : '') +
    (page.maxResults ? element('MaxResults', page.maxResults) : '') +
    (page.include.extendedInfo && page.directoryId ? element('DirectoryId', page.directoryId) : '') +
    `<Entries>${page.entries.map((node) => entryXml(node, page.include)).join('')}</Entries>` +
    (page.nextMarker ? element('NextMarker', escapeXml(page.nextMarker)) : '<NextMarker />') +
    '</EnumerationResults>'
  );
}

function entryXml(node: Node, include: ListInclude): string {
  const properties = [
    node.kind === 'file' ? element('Content-Length', node.content.size) : '',
    include.timestamps
      ? element('CreationTime', isoTime(node.smb.created)) +
        element('LastAccessTime', isoTime(node.smb.lastWrite)) +
        element('LastWriteTime', isoTime(node.smb.lastWrite)) +
        element('ChangeTime', isoTime(node.smb.changed)) +
        element('Last-Modified', node.lastModified.toUTCString())
      : '',
    include.etag ? element('Etag', escapeXml(node.etag)) : '',
  ].join('');
  const tag = node.kind === 'file' ? 'File' : 'Directory';
  return (
    `<${tag}>${element('Name', escapeXml(node.name))}` +
    (include.extendedInfo ? element('FileId', node.id) : '') +
    element('Properties', properties) +
    (include.attributes ? element('Attributes', escapeXml(node.smb.attributes)) : '') +
    (include.permissionKey ? element('PermissionKey', escapeXml(node.smb.permissionKey)) : '') +
    `</${tag}>`
  );
}
