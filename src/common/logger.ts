// The logger every stage and the engine take: four levels, a message and optional structured fields.
// src/report/logger.ts makes one (winston); tests pass a recording one. No winston type past this point.
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

/** Drops everything (benchmarks, tests that do not read logs). */
export const SILENT_LOGGER: Logger = { error() {}, warn() {}, info() {}, debug() {} };
