export {
  createProject,
  TEMPLATES,
  type CreateOptions,
  type CreateResult,
  type CreatedFile,
  type TemplateName,
} from './create.js';
export { ScaffoldError } from './errors.js';
export { rewriteImports } from './rewrite.js';
