// Bundles devtools_harness.ts with DevTools' heap-snapshot worker sources
// (from the npm package chrome-devtools-frontend) into one file Node runs.
// The worker's i18n only formats progress messages: it is stubbed, as is
// Promise.withResolvers on Node < 22.
//   node devtools_build.mjs NODE_MODULES OUT.mjs
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const [modules, out] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'x.js'));
const esbuild = require('esbuild');
const frontend = path.join(modules, 'chrome-devtools-frontend');
const here = path.dirname(new URL(import.meta.url).pathname);

const i18nStub = `
export const i18n = {
  registerUIStrings: () => ({}),
  getLocalizedString: (_r, s) => String(s),
  getLazilyComputedLocalizedString: (_r, s) => () => String(s),
  serializeUIString: (s) => String(s),
  lockedString: (s) => s,
  lockedLazyString: (s) => () => s,
};
export const ByteUtilities = { bytesToString: (n) => String(n) };
export const DevToolsLocale = { DevToolsLocale: { instance: () => ({ locale: 'en-US' }) } };
export const NumberFormatter = {};
export const i18nTypes = {};
export const i18nImpl = i18n;
export const registerUIStrings = i18n.registerUIStrings;
export const getLocalizedString = i18n.getLocalizedString;
export const getLazilyComputedLocalizedString = i18n.getLazilyComputedLocalizedString;
export const serializeUIString = i18n.serializeUIString;
export const lockedString = i18n.lockedString;
export const lockedLazyString = i18n.lockedLazyString;
export default {};
`;

await esbuild.build({
  entryPoints: [path.join(here, 'devtools_harness.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  outfile: out,
  logLevel: 'error',
  banner: {
    js: `if (!Promise.withResolvers) { Promise.withResolvers = function () { let resolve, reject; const promise = new Promise((a, b) => { resolve = a; reject = b; }); return { promise, resolve, reject }; }; }`,
  },
  plugins: [{
    name: 'devtools-paths',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/\.\.\/front_end\// }, (args) => ({
        path: path.join(frontend, args.path.slice('../../'.length)).replace(/\.js$/, '.ts'),
      }));
      build.onResolve({ filter: /(^|\/)(i18n|i18nImpl|locales|DevToolsLocale|intl-messageformat)\.js$/ },
        () => ({ path: 'i18n-stub', namespace: 'stub' }));
      build.onResolve({ filter: /\.js$/ }, (args) => {
        if (!args.importer.startsWith(frontend)) return undefined;
        const js = path.join(path.dirname(args.importer), args.path);
        const ts = js.replace(/\.js$/, '.ts');
        if (fs.existsSync(ts)) return { path: ts };
        if (fs.existsSync(js)) return { path: js };
        // third-party UI code (CodeMirror, marked) the worker never runs
        return { path: js, namespace: 'empty' };
      });
      build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: i18nStub, loader: 'js' }));
      build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export default {};', loader: 'js' }));
    },
  }],
});
