/**
 * A command of the app, reachable from shortcuts, the command palette and the native menu. The shell gathers them
 * (app/commands.ts) and each feature that has commands declares its own (architecture/commands.ts).
 */
export interface Command {
  readonly id: string
  readonly title: string
  readonly shortcut?: string
  readonly when?: () => boolean
  run(): void
}
