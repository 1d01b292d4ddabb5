/**
 * What the plain readers and writers of DIMSE data (command-set-reader.ts, identifier-reader.ts,
 * answer-dataset.ts) take as a value without dcmjs: a UID of digits and dots, and one text value of
 * printable ASCII (no backslash, which would make it several values). Anything else goes to dcmjs.
 */
export const UID_CHARS = /^[0-9.]+$/;
export const SINGLE_PRINTABLE_VALUE = /^[\x20-\x5b\x5d-\x7e]+$/;
