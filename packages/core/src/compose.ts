import { TlkitError } from './errors';
import { isStrategy, type Strategy } from './strategy';

const ORDER_HINT = 'The order is: weighting* mapping* (estimator | trainer + training*).';

function describe(step: Strategy, index: number): string {
  return `step ${index + 1} '${step.name}' (${step.role})`;
}

/**
 * Checks that `steps` form a runnable pipeline and explains what is wrong otherwise:
 * weighting steps first, then mapping steps, then exactly one estimator, with `training` steps
 * (in any order around it) only beside an estimator that runs core's training loop; and every
 * weighting step followed by a step that consumes sample weights.
 *
 * @throws TlkitError `BAD_STEP_ORDER`, `UNUSED_SAMPLE_WEIGHTS`, `INVALID_ARGUMENT`.
 */
export function validateStepOrder(steps: readonly Strategy[]): void {
  if (steps.length === 0) {
    throw new TlkitError('BAD_STEP_ORDER', `a pipeline needs at least an estimator, e.g. compose(knn()). ${ORDER_HINT}`);
  }
  steps.forEach((step, index) => {
    if (!isStrategy(step)) {
      const spec = (step as { specificationVersion?: unknown } | null)?.specificationVersion;
      throw new TlkitError(
        'INVALID_ARGUMENT',
        spec !== undefined && spec !== 'v1'
          ? `step ${index + 1} implements Strategy specification ${JSON.stringify(spec)}; this @tlkit/core runs 'v1'. Upgrade the plugin or core.`
          : `step ${index + 1} is not a strategy; create steps with their factories (e.g. knn(), tca({ dim: 30 })).`,
        { argument: `steps[${index}]` },
      );
    }
  });

  const estimators = steps.map((step, index) => ({ step, index })).filter(({ step }) => step.role === 'estimator');
  if (estimators.length === 0) {
    throw new TlkitError(
      'BAD_STEP_ORDER',
      `the pipeline has no estimator; end it with one (e.g. knn(), logisticRegression(), or trainer(...) for deep training). ${ORDER_HINT}`,
    );
  }
  if (estimators.length > 1) {
    throw new TlkitError(
      'BAD_STEP_ORDER',
      `the pipeline has ${estimators.length} estimators (${estimators.map(({ step, index }) => describe(step, index)).join(', ')}); keep exactly one. ${ORDER_HINT}`,
    );
  }
  const estimatorIndex = estimators[0].index;
  const estimator = estimators[0].step;

  // The prefix before the final segment: weighting* mapping*.
  const firstFinal = steps.findIndex((step) => step.role === 'estimator' || step.role === 'training');
  let seenMapping: number | null = null;
  for (let index = 0; index < firstFinal; index++) {
    const step = steps[index];
    if (step.role === 'mapping') seenMapping ??= index;
    if (step.role === 'weighting' && seenMapping !== null) {
      throw new TlkitError(
        'BAD_STEP_ORDER',
        `${describe(step, index)} comes after ${describe(steps[seenMapping], seenMapping)}; weighting steps must come before mapping steps. ${ORDER_HINT}`,
      );
    }
  }
  // The final segment holds only the estimator and training steps.
  for (let index = firstFinal; index < steps.length; index++) {
    const step = steps[index];
    if (step.role === 'weighting' || step.role === 'mapping') {
      throw new TlkitError(
        'BAD_STEP_ORDER',
        `${describe(step, index)} comes after ${describe(steps[firstFinal], firstFinal)}; move it before the estimator and training steps. ${ORDER_HINT}`,
      );
    }
  }
  const training = steps.map((step, index) => ({ step, index })).filter(({ step }) => step.role === 'training');
  if (training.length > 0 && !estimator.needs.trainingHooks) {
    throw new TlkitError(
      'BAD_STEP_ORDER',
      `${training.map(({ step, index }) => describe(step, index)).join(', ')} need${training.length === 1 ? 's' : ''} a trainer, but ${describe(estimator, estimatorIndex)} does not run the training loop; use trainer({ backbone: ... }) as the estimator. ${ORDER_HINT}`,
    );
  }

  const weighting = steps.map((step, index) => ({ step, index })).filter(({ step }) => step.role === 'weighting');
  if (weighting.length > 0) {
    const lastWeighting = weighting[weighting.length - 1].index;
    const consumers = steps.filter(
      (step, index) => index > lastWeighting && step.role !== 'weighting' && step.needs.acceptsSampleWeights,
    );
    if (consumers.length === 0) {
      const later = steps.filter((_, index) => index > lastWeighting).map((step) => `'${step.name}'`);
      throw new TlkitError(
        'UNUSED_SAMPLE_WEIGHTS',
        `${weighting.map(({ step, index }) => describe(step, index)).join(', ')} produce${weighting.length === 1 ? 's' : ''} source weights, but no later step accepts sample weights (${later.join(', ')} do not). Use an estimator that accepts them (e.g. logisticRegression(), ridge(), trainer(...)) or drop the weighting step.`,
        { weighting: weighting.map(({ step }) => step.name) },
      );
    }
  }
}
