#!/usr/bin/env node
// `npm run bench`: the training/inference benchmark (bench/index.ts), through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/index.ts');
process.exitCode = await main(process.argv.slice(2));
