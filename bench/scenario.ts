import type { RequestSpec } from '../host-sim/exchange.js';

/**
 * What `meshwasm bench` plays when no --scenario is given: a typical API request through a
 * sidecar (nine headers, no body) and a 200 answer with four headers.
 */
export const DEFAULT_REQUEST: RequestSpec = {
  headers: {
    ':method': 'GET',
    ':path': '/api/v1/items?id=42',
    ':authority': 'shop.example.com',
    ':scheme': 'https',
    'user-agent': 'meshwasm-bench/1.0',
    accept: 'application/json',
    'x-request-id': '6f1c2a9e-1b0d-4c55-9c3e-2f4b8d7a1e90',
    'x-forwarded-for': '10.0.0.2',
    authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.sig',
  },
  response: {
    headers: { ':status': '200', 'content-type': 'application/json', 'content-length': '0', server: 'upstream' },
  },
};
