/** Types for the recording `electron` stand-in (fake-electron.mjs); the tests read it through probe.mjs. */
export declare const recorded: Record<string, unknown>
declare const electron: Record<string, unknown>
export default electron
