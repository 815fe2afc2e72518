/**
 * A string's length in Unicode code points (a surrogate pair is one, a lone surrogate one), as
 * typebox counts it for `minLength`/`maxLength`: its checks compiled ahead of time call this.
 */
export function codePointCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
