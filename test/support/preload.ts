import { afterAll } from 'bun:test';
import { removeSippDirs } from './sipp.ts';

// Runs once after every test file: sipp's traces are read by the tests, then removed.
afterAll(() => removeSippDirs());
