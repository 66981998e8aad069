/** The demo's image collection: the store writes these files, the catalog indexes the same ids. */
export const IMAGE_COUNT = 24;

const SUBJECTS = ['labyrinth', 'thread', 'minotaur', 'ship', 'island', 'palace', 'harbour', 'olive grove'];
const STYLES = ['sketch', 'photo', 'mosaic', 'fresco'];
const OWNERS = ['ariadne', 'theseus', 'daedalus', 'icarus', 'minos'];

export function imageFile(id: number): string {
  return `img-${String(id).padStart(3, '0')}.svg`;
}

export interface ImageMeta {
  id: number;
  title: string;
  owner: string;
  tag: string;
  width: number;
  height: number;
  file: string;
}

export function imageMeta(id: number): ImageMeta {
  const subject = SUBJECTS[id % SUBJECTS.length];
  const style = STYLES[Math.floor(id / SUBJECTS.length) % STYLES.length];
  return { id, title: `${subject} (${style})`, owner: OWNERS[id % OWNERS.length], tag: style, width: 320 + (id % 4) * 160, height: 240 + (id % 3) * 120, file: imageFile(id) };
}

/** A small valid SVG picture (a maze-like pattern, different per id). */
export function renderSvg(id: number): string {
  const m = imageMeta(id);
  const hue = (id * 47) % 360;
  const rects: string[] = [];
  let x = id * 2654435761;
  for (let i = 0; i < 60; i++) {
    x = (Math.imul(x ^ (x >>> 13), 0x5bd1e995) + i) >>> 0;
    const cx = (x % 16) * (m.width / 16);
    const cy = ((x >>> 8) % 12) * (m.height / 12);
    rects.push(`<rect x="${cx.toFixed(1)}" y="${cy.toFixed(1)}" width="${(m.width / 16).toFixed(1)}" height="${(m.height / 12).toFixed(1)}" fill="hsl(${(hue + (x % 90)) % 360},60%,${30 + (x % 40)}%)"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${m.width}" height="${m.height}" viewBox="0 0 ${m.width} ${m.height}">\n<title>${m.title}</title>\n<rect width="100%" height="100%" fill="hsl(${hue},40%,90%)"/>\n${rects.join('\n')}\n</svg>\n`;
}
