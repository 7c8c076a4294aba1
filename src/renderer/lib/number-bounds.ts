// A number setting's bounds and step as an input's attributes, read from its schema, so
// a form offers what the engine's validation accepts and the two cannot drift apart.
import { z } from 'zod';

export interface InputBounds {
  min?: number;
  max?: number;
  step: number | 'any';
}

/** JSON Schema's view of the schema's checks, the public way zod exposes them. */
export function inputBounds(schema: z.ZodType): InputBounds {
  const json = z.toJSONSchema(schema) as {
    type?: string;
    minimum?: number;
    exclusiveMinimum?: number;
    maximum?: number;
    multipleOf?: number;
  };
  const max = json.maximum;
  return {
    min: json.minimum ?? json.exclusiveMinimum,
    // An integer schema without a bound of its own says Number.MAX_SAFE_INTEGER.
    max: max !== undefined && max < Number.MAX_SAFE_INTEGER ? max : undefined,
    step: json.multipleOf ?? (json.type === 'integer' ? 1 : 'any'),
  };
}
