// Short messages in a corner: what just happened, or what went wrong and why. Errors stay
// until dismissed (the user may need to read a path in them); the rest fade out.
export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  message: string;
}

const FADE_MS = 5000;
let nextId = 1;

class Toasts {
  items = $state<Toast[]>([]);

  show(kind: Toast['kind'], message: string): void {
    const id = nextId++;
    this.items.push({ id, kind, message });
    if (kind !== 'error') setTimeout(() => this.dismiss(id), FADE_MS);
  }

  info(message: string): void {
    this.show('info', message);
  }

  success(message: string): void {
    this.show('success', message);
  }

  /** Shows what failed: `doing` says what the user tried, the error says why. */
  error(doing: string, error: unknown): void {
    this.show('error', `${doing}: ${describeError(error)}`);
  }

  /** Runs `action` for a button; if it throws, that is an error toast headed `failed`. */
  async attempt(failed: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.error(failed, error);
    }
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();

/** A readable sentence for anything a call may throw, ApiError or not. */
export function describeError(error: unknown): string {
  if (!error || typeof error !== 'object' || !('message' in error)) return String(error);
  const { message, code } = error as { message: unknown; code?: unknown };
  const text = typeof message === 'string' && message ? message : 'unknown error';
  // An internal fault's message is for developers; say where to look.
  return code === 'internal' ? `${text} (an internal error; the engine log has details)` : text;
}
