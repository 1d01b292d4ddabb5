/**
 * Wildcard matching (PS3.4 C.2.2.2.4: "*" any run of characters, "?" one character) in time
 * proportional to pattern length x value length, whatever the pattern. A regular expression built
 * from the pattern backtracks: 40 "A"s against *A*A*A*A*A*A*B took 6 s of CPU, eight groups 160 s.
 * Here the pattern is cut at its stars; the first piece must match at the start, the last at the
 * end, and each piece between at its leftmost place after the one before. Leftmost is always right
 * for stars (a later place leaves less room for the rest), so nothing is ever tried twice.
 */

/** The pattern cut at its stars: first piece, the pieces between, last piece. */
interface CompiledPattern {
  first: string[];
  middle: string[][];
  /** Undefined when there is no star: the whole value must match the first piece. */
  last: string[] | undefined;
}

const compiled = new Map<string, CompiledPattern>();
const MAX_COMPILED = 1000;

function characters(text: string, caseless: boolean): string[] {
  const chars = Array.from(text);
  return caseless ? chars.map((c) => c.toUpperCase()) : chars;
}

function compile(pattern: string, caseless: boolean): CompiledPattern {
  const key = (caseless ? 'i:' : 's:') + pattern;
  let pat = compiled.get(key);
  if (!pat) {
    const [first, ...middle] = pattern.split('*').map((piece) => characters(piece, caseless));
    const last = middle.pop();
    // split() gives at least one piece.
    pat = { first: first ?? [], middle, last };
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(key, pat);
  }
  return pat;
}

/** Whether piece matches value at position at ("?" matches any one character). */
function matchesAt(value: string[], at: number, piece: string[]): boolean {
  if (at + piece.length > value.length) return false;
  for (let i = 0; i < piece.length; i++) {
    const p = piece[i];
    if (p !== '?' && p !== value[at + i]) return false;
  }
  return true;
}

export function wildcardMatch(pattern: string, value: string, caseless: boolean): boolean {
  const { first, middle, last } = compile(pattern, caseless);
  const chars = characters(value, caseless);
  if (last === undefined) return chars.length === first.length && matchesAt(chars, 0, first);
  if (first.length + last.length > chars.length) return false;
  if (!matchesAt(chars, 0, first) || !matchesAt(chars, chars.length - last.length, last)) return false;
  // The middle pieces, each at its leftmost place, within what the first and last leave free.
  let from = first.length;
  const until = chars.length - last.length;
  for (const piece of middle) {
    let at = from;
    while (at + piece.length <= until && !matchesAt(chars, at, piece)) at++;
    if (at + piece.length > until) return false;
    from = at + piece.length;
  }
  return true;
}
