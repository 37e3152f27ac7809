export { buildProject, type BuildOptions, type BuildResult, type BuildTarget, type DataReport } from './compile.js';
export { validateModule, type ModuleReport } from './validate.js';
export { BuildError } from './errors.js';
export { packageRoot } from './package-root.js';
