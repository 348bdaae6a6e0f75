export { describeFound, numberWhereStringHint, valueAt } from './describe.js';
export { findYamlFiles, loadYamlFiles, readYamlFile, readYamlFiles } from './files.js';
export { DEFAULT_YAML_LIMITS, formatBytes, type YamlLimits } from './limits.js';
export {
  type LoadedYaml,
  type LocatedComment,
  LocatorPacker,
  loadYamlSource,
  type PortableLocator,
  type SourceDocument,
  type SourceLocator,
  type SourcePosition,
  unpackLocators,
  type YamlLoadOptions,
} from './source.js';
