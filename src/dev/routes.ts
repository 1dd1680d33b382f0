// Route table built from the HTTP triggers the app registered: templates as the Functions host
// reads them (`{name}`, `{name?}`, `{name:constraint}`, `{*rest}`), the host's route prefix,
// method lists, and the most specific template winning when several match.

import type { BindingInfo, Registration } from './coreShim.js';

export interface HttpRoute {
  registration: Registration;
  triggerName: string;
  template: string;
  /** Upper-case methods; empty means any. */
  methods: string[];
  authLevel: string;
  regex: RegExp;
  params: string[];
  /** Per segment: 0 literal, 1 parameter, 2 optional, 3 catch-all; lower sorts first. */
  rank: number[];
}

export interface RouteMatch {
  route: HttpRoute;
  params: Record<string, string>;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const PARAM = new RegExp(`^\\{(${NAME})(?::[^}?=]*)?\\}$`);
const OPTIONAL = new RegExp(`^\\{(${NAME})(?::[^}?=]*)?\\?\\}$`);
const CATCH_ALL = new RegExp(`^\\{\\*\\*?(${NAME})(?::[^}?=]*)?\\}$`);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileTemplate(
  template: string,
  prefix: string,
): Pick<HttpRoute, 'regex' | 'params' | 'rank'> {
  const params: string[] = [];
  const rank: number[] = [];
  let pattern = prefix ? `/${escape(prefix)}` : '';
  for (const segment of template.split('/').filter(Boolean)) {
    const catchAll = CATCH_ALL.exec(segment);
    const optional = OPTIONAL.exec(segment);
    if (catchAll || optional) {
      params.push((catchAll ?? optional)![1]);
      rank.push(catchAll ? 3 : 2);
      pattern += catchAll ? '(?:/(.*))?' : '(?:/([^/]+))?';
      continue;
    }
    let part = '';
    for (const piece of segment.split(/(\{[^}]*\})/).filter(Boolean)) {
      const param = PARAM.exec(piece);
      if (param) params.push(param[1]);
      else if (/[{}]/.test(piece)) throw new Error(`Route "${template}": cannot read segment "${segment}"`);
      part += param ? '([^/]+?)' : escape(piece);
    }
    rank.push(part === escape(segment) ? 0 : 1);
    pattern += `/${part}`;
  }
  return { regex: new RegExp(`^${pattern}/?$`, 'i'), params, rank };
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

function httpTrigger(registration: Registration): [string, BindingInfo] | undefined {
  return Object.entries(registration.metadata.bindings).find(
    ([, binding]) => binding.type?.toLowerCase() === 'httptrigger',
  );
}

export function buildRoutes(registrations: Registration[], prefix: string): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const registration of registrations) {
    const trigger = httpTrigger(registration);
    if (!trigger) continue;
    const [triggerName, binding] = trigger;
    const template = String(binding.route ?? registration.metadata.name).replace(/^\/+|\/+$/g, '');
    routes.push({
      registration,
      triggerName,
      template,
      methods: ((binding.methods as string[] | undefined) ?? []).map((m) => m.toUpperCase()),
      authLevel: String(binding.authLevel ?? 'function'),
      ...compileTemplate(template, prefix),
    });
  }
  return routes.sort((a, b) => compare(a.rank, b.rank));
}

/** Route values are decoded as ASP.NET Core does: everything except an encoded slash. */
function decodeValue(raw: string): string {
  return raw
    .split(/(%2F)/i)
    .map((piece) => (/^%2F$/i.test(piece) ? piece : decodeURIComponent(piece)))
    .join('');
}

/**
 * The route for a request path (without query). A path whose route lacks the method is not found,
 * as with the Functions host's router (404, not 405).
 */
export function matchRoute(routes: HttpRoute[], method: string, path: string): RouteMatch | undefined {
  for (const route of routes) {
    const found = route.regex.exec(path);
    if (!found || (route.methods.length > 0 && !route.methods.includes(method.toUpperCase()))) continue;
    const params: Record<string, string> = {};
    route.params.forEach((name, i) => {
      const raw = found[i + 1];
      if (raw !== undefined && raw !== '') params[name] = decodeValue(raw);
    });
    return { route, params };
  }
  return undefined;
}
