/**
 * A REST body as UTF-8 JSON bytes, written record by record.
 *
 * Why not `JSON.stringify` of the whole body: a single character outside Latin-1 (a name in Greek,
 * Arabic or Han script, an emoji) makes V8 hold the whole result as a two-byte string, and V8
 * encodes a two-byte string to UTF-8 slowly; Fastify does it twice, for Content-Length and for the
 * socket. Encoded record by record, only the few records with such names pay for it; the others stay
 * one-byte strings (bench/README.md has the figures). The bytes are the same JSON text.
 */
export function jsonBytes(body: Readonly<Record<string, unknown>>): Buffer {
  const parts: string[] = [];
  let units = 0;
  const push = (text: string) => {
    parts.push(text);
    units += text.length;
  };
  push('{');
  let first = true;
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    push(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    if (!Array.isArray(value)) {
      push(JSON.stringify(value));
      continue;
    }
    push('[');
    // The comma apart: prepended, it would make each record a rope that writing flattens into a copy.
    value.forEach((item, i) => {
      if (i) push(',');
      push(JSON.stringify(item) ?? 'null');
    });
    push(']');
  }
  push('}');
  // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair: 4 bytes for 2 units).
  const out = Buffer.allocUnsafe(units * 3);
  let at = 0;
  for (const text of parts) at += out.write(text, at, 'utf8');
  return out.subarray(0, at);
}
