#!/usr/bin/env node
// The `jaccard` command. Runs the TypeScript sources through tsx, like the engine.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
