// Free text a request carries (an operator's reason, a signed-in name) made safe to record and to
// show: no control characters and no bidirectional controls (they forge lines in a chat message
// and reorder what the page shows), every line break or tab collapsed to one space.

/** Characters that break a line or a column: each run of them (and the spaces around) is one space. */
const BREAKS = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x85, 0x2028, 0x2029]);

/** C0 and C1 controls, DEL, and the bidirectional marks, embeddings, overrides and isolates. */
function invisible(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

export function plainText(value: string): string {
  let out = '';
  let gap = false;
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (BREAKS.has(code) || ch === ' ') {
      gap = true;
      continue;
    }
    if (invisible(code)) continue;
    if (gap && out !== '') out += ' ';
    gap = false;
    out += ch;
  }
  return out;
}
