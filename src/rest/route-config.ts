/** The OneRoster versions served: 1.2 and its 1.1 twins (rest.md §7). */
export type ApiVersion = 'v1p2' | 'v1p1';

/**
 * The config every REST route carries: the scopes of rest.md (any one suffices; the guard checks
 * them) and the API version (the error envelope spells its codes by it).
 */
export interface RestRouteConfig { scopes: readonly string[]; version: ApiVersion }
