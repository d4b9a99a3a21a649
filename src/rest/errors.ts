import type { GraphQLError } from 'graphql';

/** The 1.2 imsx_codeMinorFieldValue tokens (rest.md §5) this provider answers with: every error status it sends. */
export type CodeMinor =
  | 'invalid_filter_field'
  | 'invalid_selection_field'
  | 'invalid_sort_field'
  | 'invaliddata'
  | 'unauthorisedrequest'
  | 'forbidden'
  | 'unknownobject'
  | 'server_busy'
  | 'internal_server_error';

/** An error that becomes an HTTP response with an imsx_StatusInfo body (see envelope.ts). */
export class RestError extends Error {
  override name = 'RestError';

  constructor(
    public status: number,
    public codeMinor: CodeMinor,
    description: string,
  ) {
    super(description);
  }

  /** Lets a RestError be handed to statusBody() as it is. */
  get description(): string {
    return this.message;
  }
}

/**
 * The graph's error codes as OneRoster statuses, in one place. Bad input is 400 on reads and 422 on
 * writes (a well-formed body with wrong semantics, rest.md §3.5); anything uncoded is a server fault.
 */
export function restErrorFromGraph(error: GraphQLError, inputStatus: 400 | 422, message = error.message): Error {
  switch (error.extensions?.code) {
    case 'INVALID_FILTER_FIELD': case 'FILTER_TOO_COMPLEX': return new RestError(400, 'invalid_filter_field', message);
    case 'TIMEOUT': case 'DATABASE_UNAVAILABLE': return new RestError(503, 'server_busy', message);
    case 'BAD_USER_INPUT': case 'QUERY_TOO_COMPLEX': case 'VALIDATION_FAILED': return new RestError(inputStatus, 'invaliddata', message);
    case 'FORBIDDEN': return new RestError(403, 'forbidden', message);
    case 'NOT_FOUND': return new RestError(404, 'unknownobject', `Unknown Object: ${message}`);
    default: return error.originalError ?? error;
  }
}
