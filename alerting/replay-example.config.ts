/**
 * The example configuration (observability.config.ts) with alerts grouped by service alone,
 * where the example groups by service and severity: a critical alert and a warning of one service
 * then share a group. `maif-obs replay alerting/replay-example.json` plays its incident against
 * it (docs/cli.md).
 */
import { deepMerge, defineConfig, type ObservabilityConfig } from '../domain/config';
import example from '../observability.config';

export default defineConfig(
  deepMerge(example, { alerting: { grouping: { group_by: ['service'] } } }) as ObservabilityConfig,
);
