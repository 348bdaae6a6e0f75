// A DataContract written in Vigil's own YAML, read and checked against the kind, each problem at file:line:col.
import { API_GROUP_VERSION } from '../../../../specs/common.js';
import { DataContract, type DataContractObject } from '../../../../specs/datacontract.js';
import { type Diagnostic, formatPath } from '../../diagnostics.js';
import { readableIssues } from './odcs.js';
import { parseYamlWithPositions } from './yaml-positions.js';

export interface ReadResult {
  value?: DataContractObject;
  diagnostics: Diagnostic[];
}

export function readDataContract(text: string, file: string): ReadResult {
  const parsed = parseYamlWithPositions(text, file);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: parsed.diagnostics };
  const doc = parsed.value as { apiVersion?: unknown; kind?: unknown } | undefined;
  if (doc?.kind !== 'DataContract' || doc.apiVersion !== API_GROUP_VERSION) {
    const found =
      typeof doc === 'object' && doc !== null ? `${String(doc.apiVersion)} ${String(doc.kind)}` : typeof doc;
    const pos = parsed.locate(['kind']);
    return {
      diagnostics: [
        ...parsed.diagnostics,
        {
          file,
          ...pos,
          path: 'kind',
          code: 'schema.kind',
          message: `expected a ${API_GROUP_VERSION} DataContract; found ${found}`,
          ...(doc?.kind === 'DataContract' && /^v\d/.test(String(doc.apiVersion))
            ? { hint: 'this is an ODCS document; use `vigil contract import` to read it' }
            : {}),
          severity: 'error',
        },
      ],
    };
  }
  const result = DataContract.safeParse(parsed.value, { reportInput: true });
  if (result.success) return { value: result.data, diagnostics: parsed.diagnostics };
  const diagnostics = result.error.issues.flatMap(readableIssues).map(
    (p): Diagnostic => ({
      file,
      ...parsed.locate(p.path, p.atKey ? 'key' : 'value'),
      path: formatPath(p.path),
      code: p.code,
      message: p.message,
      severity: 'error',
    }),
  );
  return { diagnostics: [...parsed.diagnostics, ...diagnostics] };
}
