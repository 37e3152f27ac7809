/**
 * The demo's embedded defaults: the three shipped filters, in chain order, with the
 * configuration each gets, and the requests that show what they do.
 */
export interface DemoFilter {
  /** Directory under filters/ in the meshwasm package. */
  dir: string;
  /** WasmPlugin name (the chain shows it as <namespace>.<name>). */
  name: string;
  phase: 'AUTHN' | 'AUTHZ' | 'STATS';
  priority: number;
  config: unknown;
}

export interface DemoRequest {
  /** What the request shows, printed before its outcome. */
  title: string;
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** The request header the header-routing filter sets and the proxy routes on (Envoy's cluster_header). */
export const ROUTE_HEADER = 'x-meshwasm-cluster';
export const NAMESPACE = 'demo';
export const WORKLOAD_LABELS = { app: 'shop' };

export const FILTERS: DemoFilter[] = [
  {
    dir: 'authz',
    name: 'authz',
    phase: 'AUTHZ',
    priority: 10,
    config: {
      defaultAction: 'deny',
      rules: [
        { name: 'public-pages', match: { path: { prefix: '/public' } } },
        { name: 'signed-in', match: { headers: [{ name: 'x-user', present: true }] } },
      ],
    },
  },
  {
    dir: 'header-routing',
    name: 'header-routing',
    phase: 'AUTHZ',
    priority: 5,
    config: {
      routeHeader: ROUTE_HEADER,
      defaultRoute: 'stable',
      rules: [{ name: 'beta-users', match: { headers: [{ name: 'x-beta', exact: 'yes' }] }, route: 'canary' }],
    },
  },
  {
    dir: 'telemetry',
    name: 'telemetry',
    phase: 'STATS',
    priority: 0,
    config: {},
  },
];

export const REQUESTS: DemoRequest[] = [
  { title: 'anonymous request to a private page (authz denies)', method: 'GET', path: '/orders', headers: {} },
  { title: 'anonymous request to a public page (authz allows)', method: 'GET', path: '/public/catalog', headers: {} },
  {
    title: 'signed-in user (authz allows, routed to stable)',
    method: 'GET',
    path: '/orders',
    headers: { 'x-user': 'ann' },
  },
  {
    title: 'signed-in beta user (routed to canary)',
    method: 'GET',
    path: '/orders',
    headers: { 'x-user': 'bob', 'x-beta': 'yes' },
  },
];
