import { z } from 'zod';
import type { GpuAdapter } from '../domain';
import type { BackendId } from '../ids';
import { call } from './contract';

export interface SystemInfo {
  version: string;
  dataDir: string;
  /** Backends that load on this machine, fastest first. */
  backends: BackendId[];
  /**
   * The adapter WebGPU would run on (a software one is used only when forced), or why
   * there is none.
   */
  webgpu: { adapter: GpuAdapter; software: boolean } | { unavailable: string };
  /** Whether native dialogs exist (Electron) or the UI must ask for typed paths. */
  nativeDialogs: boolean;
}

export const systemCalls = {
  'system.info': call<SystemInfo>()(z.object({})),
  /** Native folder picker; null when cancelled or when there is no native dialog. */
  'system.chooseFolder': call<string | null>()(z.object({ title: z.string().optional() })),
};
