// The input mode in words and in names, and its default share of crops on the target
// stored as no field, so a protocol that names the default is the one that does not.
import { describe, expect, it } from 'vitest';
import { canonicalProtocol } from '../../src/main/experiment/grid';
import {
  describeInput,
  FOREGROUND_CROPS,
  inputModeSchema,
  inputShort,
  inputTag,
} from '../../src/shared/input';

describe('patch crops on the target', () => {
  it('stores the default as no field, other shares as given', () => {
    expect(inputModeSchema.parse({ mode: 'patches', foregroundCrops: FOREGROUND_CROPS })).toEqual({
      mode: 'patches',
      scale: 1,
    });
    expect(inputModeSchema.parse({ mode: 'patches', foregroundCrops: 0 })).toEqual({
      mode: 'patches',
      scale: 1,
      foregroundCrops: 0,
    });
    expect(inputModeSchema.safeParse({ mode: 'patches', foregroundCrops: 1.5 }).success).toBe(
      false,
    );
    const protocol = (input: object) => JSON.stringify(canonicalProtocol({ input }));
    expect(protocol({ mode: 'patches', foregroundCrops: 0.5 })).toBe(protocol({ mode: 'patches' }));
    expect(protocol({ mode: 'patches', foregroundCrops: 0 })).not.toBe(
      protocol({ mode: 'patches' }),
    );
  });

  it('says a share other than the default in words and in names', () => {
    const patches = (foregroundCrops?: number) =>
      inputModeSchema.parse({ mode: 'patches', scale: 0.5, foregroundCrops });
    expect(describeInput(patches(), 128)).toBe('patches of 128 px at 1:2 scale');
    expect(describeInput(patches(0), 128)).toBe('patches of 128 px at 1:2 scale, drawn uniformly');
    expect(describeInput(patches(0.25), 128)).toBe(
      'patches of 128 px at 1:2 scale, 25% of them centred on the target',
    );
    expect([patches(), patches(0), patches(1)].map(inputTag)).toEqual([
      'patches 1:2',
      'patches 1:2, uniform',
      'patches 1:2, 100% on target',
    ]);
    expect(inputShort(patches(0))).toBe('patches 1:2, uniform');
  });
});
