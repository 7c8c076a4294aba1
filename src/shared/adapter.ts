// How the GPU a run trained on is named to the user, in the UI and the CLI alike.
import type { GpuAdapter } from './domain';
import { BACKEND_LABELS, type BackendId } from './ids';

/** 'NVIDIA ampere GeForce RTX 3060 (Vulkan driver 550.54)': the fields the adapter filled. */
export function adapterName(adapter: GpuAdapter): string {
  const { vendor, architecture, device, description } = adapter;
  const name = [vendor, architecture, device].filter(Boolean).join(' ');
  if (!name) return description || 'an unnamed adapter';
  return description && description !== name ? `${name} (${description})` : name;
}

/** The backend's label, and the adapter's name where it ran on one. */
export function backendWithAdapter(backend: BackendId, adapter: GpuAdapter | null): string {
  const label = BACKEND_LABELS[backend];
  return adapter ? `${label} on ${adapterName(adapter)}` : label;
}
