import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../ops/db-unavailable.js';
import { clientFault } from '../shared/client-fault.js';
import { RestError, type CodeMinor } from './errors.js';
import type { ApiVersion, RestRouteConfig } from './route-config.js';

export interface StatusSource {
  status: number;
  codeMinor: CodeMinor;
  description: string;
}

/** imsx_StatusInfo as the whole response body (rest.md §5); the OAS has no `imsx_StatusInfo` wrapper. */
export interface StatusBody {
  imsx_codeMajor: 'success' | 'processing' | 'failure' | 'unsupported';
  imsx_severity: 'status' | 'warning' | 'error';
  imsx_description: string;
  imsx_CodeMinor: {
    imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem'; imsx_codeMinorFieldValue: string }];
  };
}

/**
 * The 1.1 spelling of each 1.2 token (rest.md §7). 1.1 knows only full success, unknown object,
 * invalid data, unauthorized and the three invalid_*_field tokens. Where 1.1 has no counterpart
 * the 1.2 token is kept rather than borrowing a 1.1 token that would blame the consumer for a
 * server-side condition (e.g. `invalid data` for a busy server would discourage a retry).
 */
const V1P1_CODE_MINOR: Record<CodeMinor, string> = {
  invalid_filter_field: 'invalid_filter_field',
  invalid_selection_field: 'invalid_selection_field',
  invalid_sort_field: 'invalid_sort_field',
  invaliddata: 'invalid data',
  unauthorisedrequest: 'unauthorized',
  forbidden: 'unauthorized',
  unknownobject: 'unknown object',
  server_busy: 'server_busy',
  internal_server_error: 'internal_server_error',
};

export function statusBody(source: StatusSource, version: ApiVersion): StatusBody {
  return {
    imsx_codeMajor: source.status < 400 ? 'success' : 'failure',
    imsx_severity: source.status < 400 ? 'status' : 'error',
    imsx_description: source.description,
    imsx_CodeMinor: {
      imsx_codeMinorField: [
        {
          imsx_codeMinorFieldName: 'TargetEndSystem',
          imsx_codeMinorFieldValue: version === 'v1p2' ? source.codeMinor : V1P1_CODE_MINOR[source.codeMinor],
        },
      ],
    },
  };
}

/**
 * The error handler of every REST route: RestErrors as their status, request faults Fastify detects
 * (malformed JSON, an empty JSON body) as 400 (413/414/415/431 keep their meaning), anything else a logged 500.
 */
export function restErrorHandler(error: Error, req: FastifyRequest, reply: FastifyReply) {
  const version = (req.routeOptions.config as Partial<RestRouteConfig>).version ?? 'v1p2';
  if (error instanceof RestError) return reply.code(error.status).send(statusBody(error, version));
  const fault = clientFault(error as FastifyError);
  if (fault) return reply.code(fault.status).send(statusBody({ status: fault.status, codeMinor: 'invaliddata', description: fault.message }, version));
  if (isDatabaseUnavailable(error)) {
    return reply.code(503).header('Retry-After', '5').send(statusBody({ status: 503, codeMinor: 'server_busy', description: DATABASE_UNAVAILABLE_MESSAGE }, version));
  }
  req.log.error({ err: error }, 'REST request failed');
  return reply.code(500).send(statusBody({ status: 500, codeMinor: 'internal_server_error', description: 'internal server error' }, version));
}
