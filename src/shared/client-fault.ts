import type { FastifyError } from 'fastify';

// Request faults keep their own status; any other client fault is a plain 400.
const KEPT_STATUSES = new Set([413, 414, 415, 431]);

/** Fastify messages that are safe and useful to echo; others could quote the request. */
export const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'the URL is not validly percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: 'a path segment is too long',
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is larger than this endpoint accepts',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type for this endpoint',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the JSON body is empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

/** A request fault Fastify raised (body, content type, URL) as the status and message to answer, or undefined for a server fault. */
export function clientFault(error: Pick<FastifyError, 'statusCode' | 'code' | 'message'>): { status: number; message: string } | undefined {
  const status = error.statusCode;
  if (!status || status < 400 || status >= 500) return undefined;
  // Otherwise a JSON SyntaxError, whose message quotes at most a little of the client's own body.
  const message = FRAMEWORK_MESSAGES[error.code] ?? error.message;
  return { status: KEPT_STATUSES.has(status) ? status : 400, message };
}
