// Reads a markdown file as GitHub renders it for links: its headings' anchors and its relative links,
// both outside fenced code blocks.

/** GitHub's anchor for a heading: lowercase, punctuation but `-` and `_` dropped, spaces as `-`. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** The lines of a markdown text that are not inside a fenced code block, with their line numbers. */
function proseLines(text: string): Array<{ line: string; lineNumber: number }> {
  const lines: Array<{ line: string; lineNumber: number }> = [];
  let fenced = false;
  text.split('\n').forEach((line, index) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (!fenced) lines.push({ line, lineNumber: index + 1 });
  });
  return lines;
}

/** The anchors of a file's headings; a repeated heading gets `-1`, `-2`... as on GitHub. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = headingSlug(heading[1] as string);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

export interface MarkdownLink {
  lineNumber: number;
  /** The path part, empty for a link within the file. */
  path: string;
  /** The part after `#`, empty when there is none. */
  anchor: string;
}

/** Every `[text](target)` and `![alt](target)` whose target is relative (no scheme, no `//`). */
export function relativeLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, lineNumber } of proseLines(text)) {
    // Inline code may hold bracket-and-parenthesis text that is no link.
    const withoutCode = line.replace(/`[^`]*`/g, '``');
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
      const hash = target.indexOf('#');
      links.push({ lineNumber, path: hash === -1 ? target : target.slice(0, hash), anchor: hash === -1 ? '' : target.slice(hash + 1) });
    }
  }
  return links;
}
