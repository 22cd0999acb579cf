/**
 * A small well-formedness check for the HTML report: every opened element is closed in
 * order (void elements and self-closing SVG elements excepted), and no raw text holds a "<"
 * that does not start a tag. Enough to catch a missing </section> or unescaped host text.
 */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

export interface Element { name: string; attrs: string; children: Element[]; text: string }

export function parseStrict(html: string): Element {
  const root: Element = { name: '#root', attrs: '', children: [], text: '' };
  const stack: Element[] = [root];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>|<!DOCTYPE html>|<!--[\s\S]*?-->/g;
  let last = 0;
  for (const m of html.matchAll(tag)) {
    const between = html.slice(last, m.index);
    checkText(between, stack);
    last = m.index! + m[0].length;
    if (!m[2]) continue;
    const [, closing, rawName, attrs, selfClose] = m;
    const name = rawName!.toLowerCase();
    const top = stack[stack.length - 1]!;
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}> at offset ${m.index}`);
      stack.pop();
    } else {
      const el: Element = { name, attrs: attrs ?? '', children: [], text: '' };
      top.children.push(el);
      if (!VOID.has(name) && !selfClose) stack.push(el);
    }
  }
  checkText(html.slice(last), stack);
  if (stack.length !== 1) throw new Error(`unclosed: ${stack.slice(1).map((e) => e.name).join(' > ')}`);
  return root;
}

function checkText(text: string, stack: Element[]): void {
  const top = stack[stack.length - 1]!;
  if (top.name !== 'style' && /[<>]/.test(text)) throw new Error(`raw < or > in text of <${top.name}>: ${text.slice(0, 80)}`);
  top.text += text;
}

export function findAll(el: Element, pred: (e: Element) => boolean, out: Element[] = []): Element[] {
  for (const c of el.children) {
    if (pred(c)) out.push(c);
    findAll(c, pred, out);
  }
  return out;
}

export function hasClass(el: Element, cls: string): boolean {
  const m = /\sclass="([^"]*)"/.exec(el.attrs);
  return !!m && m[1]!.split(/\s+/).includes(cls);
}

export function attr(el: Element, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(el.attrs)?.[1];
}
