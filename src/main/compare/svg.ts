// Renders a chart spec to a standalone SVG string in Node, for reports. It takes the
// same CSP-safe path as the app (AST + expression interpreter, no eval), so a figure
// that renders in a report renders in the window too.
import { View, parse } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile } from 'vega-lite';
import type { ChartSpec } from '#shared/charts';

export async function renderSvg(spec: ChartSpec): Promise<string> {
  const runtime = parse(compile(spec).spec, undefined, { ast: true });
  const view = new View(runtime, { renderer: 'none', expr: expressionInterpreter });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
