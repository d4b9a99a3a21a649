/** The 1.2 imsx_codeMinorFieldValue tokens (rest.md §5), union of the three services' enumerations. */
export type CodeMinor =
  | 'fullsuccess'
  | 'invalid_filter_field'
  | 'invalid_selection_field'
  | 'invalid_sort_field'
  | 'invaliddata'
  | 'unauthorisedrequest'
  | 'forbidden'
  | 'unknownobject'
  | 'deletefailure'
  | 'server_busy'
  | 'internal_server_error'
  | 'unsupported';

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
