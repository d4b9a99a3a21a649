/**
 * The one sourcedId rule of every entry point (CSV import, REST paths and bodies, GraphQL mutations):
 * 1 to 255 of the characters the CSV binding allows. An id the service accepts anywhere can then be
 * exported and imported again; invisible or direction-changing characters (U+202E) never get in.
 */
export const SOURCED_ID_MAX_LENGTH = 255;
/** Every character a sourcedId may hold, for byte-level and SQL forms of the rule (csv/row-bytes.ts, csv/cells-sql.ts). */
export const SOURCED_ID_CHARACTERS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_/@';
export const SOURCED_ID = /^[0-9A-Za-z.\-_/@]{1,255}$/;

/** The rule in words, for error messages. */
export const SOURCED_ID_RULE = '1-255 of 0-9 A-Z a-z . - _ / @';

export const isValidSourcedId = (value: string): boolean => SOURCED_ID.test(value);

/** Echoes a client's id in a message without letting a huge or invisible one through unmarked. */
export const quoteId = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

export const invalidSourcedIdMessage = (field: string, value: string): string =>
  `${field} ${quoteId(value)} is not a valid sourcedId (${SOURCED_ID_RULE})`;

/**
 * The sourcedId of a part kept in a table of its own (a line item's or result's score scale, its
 * learning objectives, the resources of a course, class or user): the owner's id and the property, and
 * the position in a list, joined by `/`, so that it obeys the rule above and the service's own CSV export
 * imports again. Read from the right (digits, then a fixed property name), it names one owner and one
 * position. The gradebook writes and the sync of a source's gradebook both use it, so a grade pushed to its
 * source and read back from it lands on the same part rows. (Migration20261207060500 renamed the `:` form.)
 */
export const partSourcedId = (owner: string, property: string, index?: number): string =>
  index === undefined ? `${owner}/${property}` : `${owner}/${property}/${String(index).padStart(3, '0')}`;
