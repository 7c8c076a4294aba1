// tfjs kernels run synchronously and hold the thread; awaiting this between them lets
// IPC messages, signals and the engine's requests in.
export const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
