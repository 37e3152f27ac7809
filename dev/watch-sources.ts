import { type FSWatcher, existsSync, watch } from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` once per burst of changes to the project's sources: assembly/ (recursively),
 * asconfig.json and config.json. Editors save in several writes (temp file, rename, chmod), so
 * changes within `settleMs` of each other make one call.
 */
export function watchSources(dir: string, onChange: (files: string[]) => void, settleMs = 150): () => void {
  const watchers: FSWatcher[] = [];
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const note = (file: string) => {
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending].sort();
      pending = new Set();
      onChange(files);
    }, settleMs);
  };
  const assembly = path.join(dir, 'assembly');
  if (existsSync(assembly)) {
    watchers.push(
      watch(assembly, { recursive: true }, (_event, name) => {
        if (name?.endsWith('.ts')) note(path.join('assembly', name.toString()));
      }),
    );
  }
  // The directory, not the files: an editor that replaces a file would leave a file watch orphaned.
  watchers.push(
    watch(dir, (_event, name) => {
      if (name === 'asconfig.json' || name === 'config.json') note(name);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
