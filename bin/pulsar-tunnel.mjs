#!/usr/bin/env node
// Entry point of the `pulsar-tunnel` command. It runs the TypeScript sources in this same process
// (through tsx's loader), so there is no build step after `npm ci` and signals sent to this
// process reach the CLI directly.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli/main.ts');
