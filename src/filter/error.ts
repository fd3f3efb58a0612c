/**
 * A display filter that cannot be used: where (offset and length in the filter text) and why,
 * in tshark's words where tshark has words for it, plus "did you mean" suggestions for
 * unknown field names.
 *
 * @example
 * try { compileFilter('tcp.flag.syn == 1'); } catch (e) {
 *   if (e instanceof FilterError) console.error(e.format('tcp.flag.syn == 1'));
 * }
 */
export class FilterError extends Error {
  constructor(
    /** Offset of the offending text (0-based, in UTF-16 units of the filter string). */
    readonly position: number,
    /** Length of the offending text (0 when the problem is the end of the filter). */
    readonly length: number,
    message: string,
    /** Field names close to the unknown one. */
    readonly suggestions: readonly string[] = [],
  ) {
    super(message);
    this.name = 'FilterError';
  }

  /** The message with suggestions, then the filter with the offending part underlined (as tshark). */
  format(filter: string): string {
    let text = this.message;
    if (this.suggestions.length) text += ` Did you mean ${this.suggestions.join(', ')}?`;
    if (filter.length > 200 || filter.includes('\n')) return `${text} (at offset ${this.position})`;
    const mark = ' '.repeat(this.position) + '^' + '~'.repeat(Math.max(0, this.length - 1));
    return `${text}\n    ${filter}\n    ${mark}`;
  }
}
