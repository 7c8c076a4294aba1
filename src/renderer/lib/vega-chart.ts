// Draws a chart spec from src/shared/charts into an element. The window's CSP forbids
// eval, so Vega parses expressions to an AST and runs them through its interpreter; the
// HTML reports render the same specs the same way (src/main/compare/svg.ts).
import { View, changeset, parse } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile } from 'vega-lite';
import type { ChartData, ChartSpec } from '#shared/charts';

export interface ChartOptions {
  /** Canvas is lighter for many marks; SVG stays crisp when zoomed and can be copied. */
  renderer?: 'canvas' | 'svg';
  /** Called with the clicked mark's row, e.g. a scatter dot's { imageId, stem, a, b }. */
  onItemClick?: (datum: Record<string, unknown>) => void;
}

export interface ChartHandle {
  view: View;
  /** Replaces the rows of the named datasets (e.g. { epochs: [...] }) and redraws. */
  update(data: ChartData): Promise<void>;
  /** Stops listeners and timers; call when the element goes away. */
  destroy(): void;
}

export async function renderChart(
  el: HTMLElement,
  spec: ChartSpec,
  data?: ChartData,
  options: ChartOptions = {},
): Promise<ChartHandle> {
  const runtime = parse(compile(spec).spec, undefined, { ast: true });
  const view = new View(runtime, {
    container: el,
    renderer: options.renderer ?? 'canvas',
    hover: true,
    expr: expressionInterpreter,
  });
  const { onItemClick } = options;
  if (onItemClick) {
    view.addEventListener('click', (_event, item) => {
      const datum = (item as { datum?: Record<string, unknown> } | null | undefined)?.datum;
      if (datum) onItemClick(datum);
    });
  }
  const update = async (next: ChartData): Promise<void> => {
    for (const [name, rows] of Object.entries(next)) {
      view.change(
        name,
        changeset()
          .remove(() => true)
          .insert(rows.map((row) => ({ ...row }))),
      );
    }
    await view.runAsync();
  };
  await update(data ?? {});
  return { view, update, destroy: () => view.finalize() };
}
