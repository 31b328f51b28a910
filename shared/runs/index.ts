/**
 * The runs table's model (pure TypeScript): columns in the user's words and metric column keys (columns.ts),
 * the settings fingerprint that tells runs apart beyond their seed (settings-key.ts),
 * grouping with mean ± sample std per metric (groups.ts), the table as CSV and back (csv.ts). Used by main (the table query) and the renderer.
 */
export * from './columns'
export * from './csv'
export * from './groups'
export * from './settings-key'
