/**
 * A shipped filter imports the SDK and the harness through paths that only work inside the
 * meshwasm checkout (relative paths out of filters/<name>/). A standalone project reaches them
 * through its node_modules/meshwasm: rewrite each such import to the package specifier.
 */
export function rewriteImports(source: string): string {
  return source.replace(
    /(from\s+|import\s+|import\()(['"])([^'"]+)\2/g,
    (whole, lead: string, quote: string, spec: string) => {
      const mapped = mapSpecifier(spec);
      return mapped === null ? whole : `${lead}${quote}${mapped}${quote}`;
    },
  );
}

function mapSpecifier(spec: string): string | null {
  if (!spec.startsWith('../')) return null;
  // ../../../sdk, ../../../sdk/index, ../../../sdk/exports(.ts)
  let m = /^(?:\.\.\/)+sdk(?:\/(.+?))?(?:\.ts)?$/.exec(spec);
  if (m) return !m[1] || m[1] === 'index' ? 'meshwasm/sdk' : `meshwasm/sdk/${m[1]}`;
  // ../../../host-sim/harness(/index.js)
  m = /^(?:\.\.\/)+host-sim\/harness(?:\/index(?:\.js|\.ts)?)?$/.exec(spec);
  if (m) return 'meshwasm/harness';
  return null;
}

/**
 * A shipped filter's README speaks from inside the meshwasm checkout, where `meshwasm` is on
 * PATH. In a project meshwasm is a dev dependency, so its commands run through `npx`, and paths
 * into the checkout (docs/...) become links to the installed package's copy.
 */
export function adaptFilterReadme(text: string): string {
  let inShell = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^```(sh|bash|console|shell)\s*$/.test(line)) inShell = true;
      else if (line.startsWith('```')) inShell = false;
      else if (inShell && line.startsWith('meshwasm ')) return `npx ${line}`;
      if (!inShell) return line.replace(/`docs\/([\w.-]+\.md)`/g, '`node_modules/meshwasm/docs/$1`');
      return line;
    })
    .join('\n');
}
