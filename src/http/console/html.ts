/**
 * HTML written safely: the `html` tag escapes every value put into a template (text from the store,
 * HL7 messages and query keys is hostile input), and only an Html made by the tag itself is kept as
 * markup. There is no other way to make an Html: nothing reaches a page unescaped by mistake.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text escaped for an HTML element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Markup built by the `html` tag. */
export class Html {
  /** Makes the type nominal: an object with a `markup` text is not an Html. */
  private readonly kind = 'html';

  private constructor(readonly markup: string) {}

  /** Only for the tag below. */
  static fromTemplate(markup: string): Html {
    return new Html(markup);
  }

  toString(): string {
    return this.markup;
  }
}

/** What a template may hold: markup, text (escaped), numbers, lists of these; null, undefined and false write nothing. */
export type HtmlPart = Html | string | number | boolean | null | undefined | readonly HtmlPart[];

function render(part: HtmlPart): string {
  if (part instanceof Html) return part.markup;
  if (Array.isArray(part)) return (part as readonly HtmlPart[]).map(render).join('');
  if (part === null || part === undefined || part === false || part === true) return '';
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlPart[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return Html.fromTemplate(out);
}

/** A query string from parameters, leaving out empty ones (for links that keep the filters). */
export function queryString(params: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}
