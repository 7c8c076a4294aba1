export function isStale(): boolean;
export function buildIfStale(): boolean;
