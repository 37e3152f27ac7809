// Linear memory as a module leaves it at the end of instantiation: data segments applied and
// the wasm start function (if any) run. The data compression pass compares this for the module
// before and after, so a decoder bug can never ship.

import { EXTERNAL, readModuleShape, type Export, type FunctionType } from './module-shape.js';
import { SECTION, type Section, encodeSection, rebuildModule, uleb } from './wasm-binary.js';

/**
 * Instantiates `module` with every import a function that does nothing and returns zero of its
 * result types (the modules this is for call none during instantiation) and returns a copy of
 * memory 0. Throws when the module imports something other than functions or does not have
 * exactly one memory.
 */
export function initialMemory(module: Uint8Array): Uint8Array {
  const shape = readModuleShape(module);
  const foreign = shape.imports.find((i) => i.kind !== EXTERNAL.function);
  if (foreign) throw new Error(`imports ${foreign.module}.${foreign.name}, which is not a function`);
  if (shape.memories.length !== 1) throw new Error(`has ${shape.memories.length} memories`);

  const imports: Record<string, Record<string, () => unknown>> = {};
  for (const i of shape.imports) {
    const type = shape.types?.[i.typeIndex];
    if (!type) throw new Error(`import ${i.module}.${i.name} has a type this check does not read`);
    (imports[i.module] ??= {})[i.name] = stub(type);
  }

  const { bytes, exportName } = withMemoryExported(module, shape.sections, shape.exports);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports);
  const memory = instance.exports[exportName] as WebAssembly.Memory;
  return new Uint8Array(memory.buffer.slice(0));
}

function stub(type: FunctionType): () => unknown {
  const zeros = type.results.map((t) => (t === 0x7e ? 0n : t === 0x70 || t === 0x6f ? null : 0));
  return () => (zeros.length === 0 ? undefined : zeros.length === 1 ? zeros[0] : zeros);
}

/** The module exporting memory 0, under the name it already has or an added one. */
function withMemoryExported(
  module: Uint8Array,
  sections: Section[],
  exports: Export[],
): { bytes: Uint8Array; exportName: string } {
  const existing = exports.find((e) => e.kind === EXTERNAL.memory && e.index === 0);
  if (existing) return { bytes: module, exportName: existing.name };
  const exportName = '(meshwasm memory check)';
  const entries: number[] = [...uleb(exports.length + 1)];
  for (const e of [...exports, { name: exportName, kind: EXTERNAL.memory, index: 0 }]) {
    const name = Buffer.from(e.name, 'utf8');
    entries.push(...uleb(name.length), ...name, e.kind, ...uleb(e.index));
  }
  const section = encodeSection(SECTION.export, Uint8Array.from(entries));
  const hasExports = sections.some((s) => s.id === SECTION.export);
  const bytes = rebuildModule(
    module,
    sections,
    (s) => (s.id === SECTION.export ? section : undefined),
    hasExports ? new Map() : new Map([[SECTION.export, section]]),
  );
  return { bytes, exportName };
}
