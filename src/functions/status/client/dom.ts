// DOM helpers: API data enters the page only as text and attributes, never as markup.
import { fmtTime } from './format';

/** An element of the page's static markup; a missing one is a bug in the page, said at once. */
export function byId(id: string): HTMLElement;
export function byId<T extends HTMLElement>(id: string, type: new () => T): T;
export function byId(id: string, type: new () => HTMLElement = HTMLElement): HTMLElement {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`the page has no #${id}`);
  return e;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string | null,
  text?: string | number | null,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// The SVG namespace, read from an <svg> in the markup (the page names no URL at all).
let svgNs: string | null | undefined;
export function svgEl(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  svgNs ??= document.getElementById('svg-ns')?.namespaceURI ?? null;
  const e = document.createElementNS(svgNs, tag) as SVGElement;
  for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
  return e;
}

export function timeEl(iso: string | null | undefined, prefix?: string): HTMLTimeElement {
  const t = el('time', null, (prefix ?? '') + fmtTime(iso));
  if (iso) {
    t.dateTime = iso;
    t.title = iso;
  }
  return t;
}
