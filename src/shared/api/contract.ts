// The shape every API area declares its calls in: a zod schema for the input (checked
// on the main side, at the edge) and a phantom output type.
import type { z } from 'zod';

export interface CallSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  input: I;
  /** Never set at run time; carries the output type. */
  output?: O;
}

export const call =
  <O>() =>
  <I extends z.ZodType>(input: I): CallSpec<I, O> => ({ input });
