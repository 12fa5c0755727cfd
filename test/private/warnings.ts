/** A LoggerApi that keeps only what monitors warn about, for asserting on degradations. */
import type { LogFields, LoggerApi } from '../../layers/instrumentation/types';

export interface Warning {
  event: string;
  fields?: LogFields;
}

export function warningRecorder(): { logger: LoggerApi; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const logger: LoggerApi = {
    debug: () => {},
    info: () => {},
    warn: (event, fields) => warnings.push({ event, fields }),
    error: () => {},
    critical: () => {},
    child: () => logger,
  };
  return { logger, warnings };
}
