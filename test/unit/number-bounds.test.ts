// The forms' number inputs take their bounds from the schemas the engine validates with.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { experimentRequestSchema } from '../../src/shared/api/experiments';
import { trainConfigSchema } from '../../src/shared/api/runs';
import { inputBounds } from '../../src/renderer/lib/number-bounds';

describe('inputBounds', () => {
  const fields = trainConfigSchema.shape;

  it('reads minimum, maximum and step through defaults', () => {
    expect(inputBounds(fields.size)).toEqual({ min: 16, max: 1024, step: 16 });
    expect(inputBounds(fields.depth)).toEqual({ min: 1, max: 6, step: 1 });
    expect(inputBounds(experimentRequestSchema.shape.seeds)).toEqual({
      min: 1,
      max: 100,
      step: 1,
    });
  });

  it('leaves out the bound a schema does not set, and steps freely off the integers', () => {
    expect(inputBounds(fields.seed)).toEqual({ min: 0, max: undefined, step: 1 });
    expect(inputBounds(fields.validationFraction)).toEqual({ min: 0, max: 0.5, step: 'any' });
    // positive(): an exclusive minimum, which an input can only state as its min.
    expect(inputBounds(fields.learningRate)).toEqual({ min: 0, max: 1, step: 'any' });
    expect(inputBounds(z.number())).toEqual({ min: undefined, max: undefined, step: 'any' });
  });
});
