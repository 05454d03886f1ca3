/**
 * Test helper (not shipped): fits a one-step pipeline, saves it to bytes, loads it back and
 * returns both fitted pipelines, so a test can check that restored predictions are identical.
 */
import type { TransferTask } from '../../data';
import { compose, type FittedPipeline, loadPipeline } from '../../pipeline';
import type { Plugin } from '../../plugin';
import { registerPlugin } from '../../registry';
import type { Strategy } from '../../strategy';

export async function fitSaveRestore(
  plugin: Plugin,
  strategy: Strategy,
  task: TransferTask,
): Promise<{ fitted: FittedPipeline; restored: FittedPipeline }> {
  registerPlugin(plugin);
  const fitted = await compose(strategy).fit(task, { seed: 3 });
  const restored = await loadPipeline(await fitted.saveBytes());
  return { fitted, restored };
}
