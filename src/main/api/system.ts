import pkg from '../../../package.json';
import type { systemCalls } from '#shared/api/system';
import { availableBackends } from '../training/backend';
import { gpuAdapterOf, probeDawn } from '../training/webgpu/dawn';
import type { Handlers } from './index';

export const systemHandlers: Handlers<keyof typeof systemCalls> = {
  'system.info': async (_input, ctx) => ({
    version: pkg.version,
    dataDir: ctx.dataDir,
    backends: await availableBackends(),
    webgpu: await probeDawn().then(
      (found) => ({ adapter: gpuAdapterOf(found), software: found.software }),
      (error: Error) => ({ unavailable: error.message }),
    ),
    nativeDialogs: ctx.nativeDialogs,
  }),
  // Electron main answers this itself with a native dialog before relaying; a browser
  // has no folder picker to offer, so the UI asks for a typed path instead.
  'system.chooseFolder': () => null,
};
