// The one host.json value the sync logic needs: after how many deliveries the host gives up on
// a message and moves it to the poison queue. Read once from the deployed host.json, so the
// setting lives in one place.

import { readFileSync } from 'node:fs';

/** The Functions host's own default when host.json does not set one. */
const HOST_DEFAULT_MAX_DEQUEUE_COUNT = 5;

let cached: number | undefined;

export function maxDequeueCount(hostJsonUrl = new URL('../../host.json', import.meta.url)): number {
  if (cached !== undefined) return cached;
  const json = JSON.parse(readFileSync(hostJsonUrl, 'utf8')) as {
    extensions?: { queues?: { maxDequeueCount?: number } };
  };
  cached = json.extensions?.queues?.maxDequeueCount ?? HOST_DEFAULT_MAX_DEQUEUE_COUNT;
  return cached;
}
