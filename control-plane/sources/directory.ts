import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';
import { extensionKey, type Extension } from '../manifest/extension.js';
import { LastValidManifests, type OriginRead } from './last-valid.js';
import { parseManifests } from './parse-manifests.js';
import type { ExtensionSource, SourceError, SourceSnapshot } from './source.js';

export interface DirectorySourceOptions {
  /** Changes arriving within this window are read once (editors write files in bursts). Default 100 ms. */
  debounceMs?: number;
  /** fs.watch misses events on some filesystems and in subdirectories; a rescan catches them. Default 2 s. */
  rescanMs?: number;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/** Extension manifests in a directory tree (*.yaml, *.yml, *.json), watched for changes. */
export class DirectorySource extends EventEmitter implements ExtensionSource {
  readonly name: string;
  private current: SourceSnapshot = { extensions: [], errors: [] };
  private signature = '';
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private readonly lastValid = new LastValidManifests();

  constructor(
    readonly dir: string,
    private readonly opts: DirectorySourceOptions = {},
  ) {
    super();
    this.name = `directory ${dir}`;
  }

  async start(): Promise<void> {
    if (!existsSync(this.dir)) mkdirSync(this.dir, { recursive: true });
    this.scan();
    this.watcher = watch(this.dir, () => this.schedule());
    this.watcher.on('error', () => {
      /* the periodic rescan still runs */
    });
    this.rescan = setInterval(() => this.scan(), this.opts.rescanMs ?? 2000);
    this.rescan.unref();
  }

  snapshot(): SourceSnapshot {
    return this.current;
  }

  async close(): Promise<void> {
    clearTimeout(this.debounce);
    clearInterval(this.rescan);
    this.watcher?.close();
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.scan(), this.opts.debounceMs ?? 100);
  }

  /** Reads the whole tree; emits 'change' only when the parsed result differs. */
  scan(): void {
    const extensions: Extension[] = [];
    const errors: SourceError[] = [];
    const reads: OriginRead[] = [];
    for (const file of this.files(this.dir)) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      } // deleted between listing and reading
      const origin = relative(process.cwd(), file) || file;
      // An emptied file is a write caught half-way far more often than a removal: removing
      // extensions is done by deleting the file.
      if (!text.trim() && this.lastValid.has(origin)) {
        reads.push({
          origin,
          extensions: [],
          errors: [{ origin, message: `${origin}: the file is empty; delete the file to remove its extensions` }],
        });
        continue;
      }
      reads.push({ origin, ...parseManifests(text, origin) });
    }
    for (const r of reads) errors.push(...r.errors);
    const seen = new Map<string, string>();
    for (const ext of this.lastValid.apply(reads)) {
      const key = extensionKey(ext);
      const first = seen.get(key);
      if (first) {
        errors.push({
          origin: ext.origin,
          message: `${ext.origin}: ${ext.kind} ${ext.namespace}/${ext.name} is also defined in ${first}; remove one of them`,
          field: 'metadata.name',
        });
        continue;
      }
      seen.set(key, ext.origin);
      extensions.push(ext);
    }
    const signature = JSON.stringify([extensions, errors]);
    if (signature === this.signature) return;
    this.signature = signature;
    this.current = { extensions, errors };
    this.emit('change');
  }

  private files(dir: string): string[] {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names) {
      if (n.startsWith('.')) continue; // editor swap files, our own temp files
      const p = join(dir, n);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) out.push(...this.files(p));
      else if (MANIFEST.test(n)) out.push(p);
    }
    return out;
  }
}
