/**
 * The flags of the listing and explain commands, beside the settings' flags. Kept apart from the
 * commands themselves: cli.ts parses every command's flags, and loads only the command it runs.
 */
export const EXPLAIN_FLAGS = ['accession', 'patient', 'calling-ae', 'called-ae'] as const;
export const MESSAGE_FILTERS = ['since', 'until', 'patient', 'accession', 'outcome', 'control-id', 'limit'] as const;
export const QUERY_FILTERS = ['calling-ae', 'since', 'until', 'limit'] as const;
