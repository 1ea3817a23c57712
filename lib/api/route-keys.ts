/**
 * Route keys of the HTTP API, as API Gateway names them. The stack declares
 * these routes and the API function serves exactly these keys.
 */
export const API_ROUTE_KEYS = [
  'POST /tenants/{tenantId}/packages',
  'GET /tenants/{tenantId}/health-reports/latest',
  'POST /tenants/{tenantId}/retry-plans',
  'POST /tenants/{tenantId}/worker-runs',
  'GET /tenants/{tenantId}/worker-runs/{runId}',
  'GET /tenants/{tenantId}/dead-letters',
  'POST /tenants/{tenantId}/dead-letters/redrive',
] as const;

export type ApiRouteKey = (typeof API_ROUTE_KEYS)[number];
