import { strokeHandlers } from './brush';
import { defineTool } from './tool';

export const eraser = defineTool({
  id: 'eraser',
  label: 'Eraser',
  key: 'E',
  description: 'Eraser',
  pointer: 'brush',
  handlers: () => strokeHandlers(true),
});
