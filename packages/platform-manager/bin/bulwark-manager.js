#!/usr/bin/env node
// Runs the TypeScript sources through tsx: the repository is the installed artefact.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/manager-main.ts');
