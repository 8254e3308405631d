// Lets a plain `node` script import the TypeScript sources directly (no build, no new package): each .ts
// file is transpiled on load with the project's own TypeScript, and an import of `./x.js` finds `./x.ts`.
// Used by scripts/render-compare.mjs: `node --import ./scripts/ts-loader.mjs scripts/render-compare.mjs`.
import { register } from 'node:module';

register(new URL('./ts-loader-hooks.mjs', import.meta.url));
