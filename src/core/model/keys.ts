// Table Storage forbids / \ # ? and control characters in keys. This encoding is lossless for
// any string and leaves the common characters readable: every byte outside [A-Za-z0-9._@:-]
// becomes !XX (UTF-8, upper-case hex), and '!' itself is encoded, so decode(encode(s)) === s.
const SAFE = /[A-Za-z0-9._@:-]/;

export function encodeKey(value: string): string {
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `!${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeKey(encoded: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length;) {
    if (encoded[i] === '!') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(encoded.charCodeAt(i));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
