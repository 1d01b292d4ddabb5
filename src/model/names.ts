/**
 * Rules for names that come from settings: AE titles (PS3.5 6.2, AE) and names that become a
 * path component (the mirror's storage-area folder is named after an AE title).
 */

/** A C0 control character or DEL (U+0000-U+001F, U+007F): a control character that is also ASCII. */
const ASCII_CONTROL = /(?=\p{ASCII})\p{Cc}/u;

/**
 * Why a text is not an AE title, or undefined: 1-16 characters of the default repertoire (printable
 * ASCII), no backslash, no control characters, not only spaces (leading and trailing spaces are
 * not significant).
 */
export function aeTitleProblem(text: string): string | undefined {
  if (text.length === 0 || text.length > 16) return 'an AE title has 1-16 characters';
  if (ASCII_CONTROL.test(text)) return 'an AE title has no control characters';
  if (text.includes('\\')) return 'an AE title has no backslash';
  if (!/^[\x20-\x7e]+$/.test(text)) return 'an AE title has printable ASCII characters only';
  if (text.trim() === '') return 'an AE title is not only spaces';
  return undefined;
}

/**
 * Why a name cannot be used as one path component (a folder inside another), or undefined: it
 * must not climb out (`..`), stay put (`.`), or reach elsewhere (`/`, `\`).
 */
export function pathComponentProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return 'it is empty';
  if (/[/\\]/.test(trimmed)) return 'it contains a slash or backslash';
  if (trimmed === '.' || trimmed === '..') return `"${trimmed}" names a folder that is already there`;
  if (ASCII_CONTROL.test(trimmed)) return 'it contains control characters';
  return undefined;
}
