// The board's colours. Index 0 is the colour of an untouched pixel (SPEC §3).
// The 32 colours follow the spirit of r/place 2022's final palette: dark to light, warm to cool.

/** Palette colours as `#RRGGBB`; a pixel byte is an index into this list. */
export const PALETTE: readonly string[] = Object.freeze([
  "#FFFFFF", // 0  white (untouched)
  "#D4D7D9", // 1  light grey
  "#898D90", // 2  grey
  "#515252", // 3  dark grey
  "#000000", // 4  black
  "#6D001A", // 5  burgundy
  "#BE0039", // 6  dark red
  "#FF4500", // 7  orange red
  "#FFA800", // 8  orange
  "#FFD635", // 9  yellow
  "#FFF8B8", // 10 pale yellow
  "#00A368", // 11 dark green
  "#00CC78", // 12 green
  "#7EED56", // 13 light green
  "#00756F", // 14 dark teal
  "#009EAA", // 15 teal
  "#00CCC0", // 16 light teal
  "#2450A4", // 17 dark blue
  "#3690EA", // 18 blue
  "#51E9F4", // 19 light blue
  "#493AC1", // 20 indigo
  "#6A5CFF", // 21 periwinkle
  "#94B3FF", // 22 lavender
  "#811E9F", // 23 dark purple
  "#B44AC0", // 24 purple
  "#E4ABFF", // 25 pale purple
  "#DE107F", // 26 magenta
  "#FF3881", // 27 pink
  "#FF99AA", // 28 light pink
  "#6D482F", // 29 dark brown
  "#9C6926", // 30 brown
  "#FFB470", // 31 beige
]);

export const PALETTE_SIZE = PALETTE.length;

/**
 * A name for each colour of PALETTE, same order, for screen readers and tooltips (SPEC §7: a
 * swatch's `aria-label` is its name and hex, e.g. "orange red #FF4500"). Names follow the common
 * English names of r/place's palette; #FF4500 is CSS's own `orangered`.
 */
export const PALETTE_NAMES: readonly string[] = Object.freeze([
  "white",
  "light grey",
  "grey",
  "dark grey",
  "black",
  "burgundy",
  "dark red",
  "orange red",
  "orange",
  "yellow",
  "pale yellow",
  "dark green",
  "green",
  "light green",
  "dark teal",
  "teal",
  "light teal",
  "dark blue",
  "blue",
  "light blue",
  "indigo",
  "periwinkle",
  "lavender",
  "dark purple",
  "purple",
  "pale purple",
  "magenta",
  "pink",
  "light pink",
  "dark brown",
  "brown",
  "beige",
]);

const NAME_BY_HEX = new Map(PALETTE.map((hex, i) => [hex.toUpperCase(), PALETTE_NAMES[i]]));

/** The name of a `#RRGGBB` colour of the palette, or null for a colour it does not have. */
export function colorName(hex: string): string | null {
  return NAME_BY_HEX.get(hex.toUpperCase()) ?? null;
}

/** "orange red #FF4500": name and hex (the hex alone for a colour without a name). */
export function colorLabel(hex: string): string {
  const name = colorName(hex);
  return name ? `${name} ${hex.toUpperCase()}` : hex.toUpperCase();
}

/** Palette as packed little-endian RGBA words (0xAABBGGRR), ready for a Uint32Array view of ImageData. */
export function paletteRgba(palette: readonly string[] = PALETTE): Uint32Array {
  const out = new Uint32Array(palette.length);
  palette.forEach((hex, i) => {
    const v = parseInt(hex.slice(1), 16);
    const r = (v >> 16) & 0xff;
    const g = (v >> 8) & 0xff;
    const b = v & 0xff;
    out[i] = (0xff << 24) | (b << 16) | (g << 8) | r;
  });
  return out;
}
