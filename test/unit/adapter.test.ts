import { describe, expect, it } from 'vitest';
import { adapterName, backendWithAdapter } from '../../src/shared/adapter';

const llvmpipe = {
  vendor: '',
  architecture: '',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
};

describe('adapterName', () => {
  it('names the adapter by the fields it filled, its description in brackets', () => {
    expect(adapterName(llvmpipe)).toBe(
      'llvmpipe-llvm-15-0-6-256-bits- (OpenGL version OpenGL ES 3.2 Mesa 22.3.6)',
    );
    const gpu = { vendor: 'nvidia', architecture: 'ampere', device: 'RTX 3060', description: '' };
    expect(adapterName(gpu)).toBe('nvidia ampere RTX 3060');
    expect(adapterName({ ...gpu, vendor: '', architecture: '', device: '' })).toBe(
      'an unnamed adapter',
    );
  });

  it('adds the adapter to the backend label only where there is one', () => {
    expect(backendWithAdapter('webgpu', llvmpipe)).toMatch(/^GPU \(WebGPU\) on llvmpipe/);
    expect(backendWithAdapter('wasm', null)).toBe('WebAssembly (XNNPACK)');
  });
});
