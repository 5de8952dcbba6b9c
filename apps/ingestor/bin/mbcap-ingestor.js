#!/usr/bin/env node
// Runs the compiled CLI (build with `pnpm build`).
import '../dist/cli.js';
