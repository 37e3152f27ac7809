/** Fills `{{name}}` placeholders; an unknown placeholder is a bug in a template, so it throws. */
export function render(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return v;
  });
}

/** Template file names: "x.tmpl" -> "x", "gitignore" -> ".gitignore" (npm drops dotfiles named .gitignore). */
export function outputName(rel: string): string {
  const noTmpl = rel.endsWith('.tmpl') ? rel.slice(0, -'.tmpl'.length) : rel;
  return noTmpl.replace(/(^|\/)gitignore$/, '$1.gitignore');
}
