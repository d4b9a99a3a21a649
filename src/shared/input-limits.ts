/**
 * Checks every request input passes before any work is done on it: no NUL character (PostgreSQL
 * text cannot hold one, so it would fail deep inside a query) and bounded JSON nesting (recursive
 * code further on, from validation to GraphQL input coercion, would overflow the stack).
 */

export const hasNul = (text: string): boolean => text.includes('\u0000');

/**
 * The first place a NUL occurs in a parsed value (a key or a string), as a dotted path, or undefined.
 * Descends at most `maxDepth` levels, so it is safe on values whose depth is not yet known.
 */
export function findNul(value: unknown, maxDepth = 256, path = ''): string | undefined {
  if (typeof value === 'string') return hasNul(value) ? path || '(value)' : undefined;
  if (typeof value !== 'object' || value === null || maxDepth <= 0) return undefined;
  if (Buffer.isBuffer(value) || typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const itemPath = path ? `${path}.${key}` : key;
    if (hasNul(key)) return itemPath;
    const found = findNul(item, maxDepth - 1, itemPath);
    if (found) return found;
  }
  return undefined;
}

/** Whether JSON text nests objects/arrays deeper than `max`; a linear scan, no parsing. */
export function jsonTextTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Whether a parsed value nests objects/arrays deeper than `max`; stops descending at the limit. */
export function valueTooDeep(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max <= 0) return true;
  for (const item of Object.values(value)) if (valueTooDeep(item, max - 1)) return true;
  return false;
}

export const tooDeepMessage = (max: number) => `JSON nests deeper than the limit of ${max} levels (MAX_JSON_DEPTH)`;
export const nulMessage = (where: string) => `${where} contains a NUL character (U+0000), which no field accepts`;
