export { describeFound, numberWhereStringHint, valueAt } from './describe.js';
export { loadYamlFiles } from './files.js';
export { DEFAULT_YAML_LIMITS, formatBytes, type YamlLimits } from './limits.js';
export {
  type LoadedYaml,
  type LocatedComment,
  loadYamlSource,
  type SourceDocument,
  type SourcePosition,
  type YamlLoadOptions,
} from './source.js';
