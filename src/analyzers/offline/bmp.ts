/**
 * A small BMP decoder (sharp/libvips cannot read BMP): uncompressed 1/4/8-bit palette, 16, 24
 * and 32-bit images, bit-field masks, bottom-up or top-down. Returns RGB pixels.
 */
import { AnalyzerError } from "../analyzer.js";

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
  /** Pixels per inch, when the file says. */
  density?: number;
}

export function decodeBmp(bytes: Uint8Array): RawImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string) => new AnalyzerError("InvalidContent", `The BMP image cannot be read: ${why}.`);
  if (buffer.length < 26 || buffer.toString("latin1", 0, 2) !== "BM") throw fail("no BMP header");
  const dataOffset = buffer.readUInt32LE(10);
  const headerSize = buffer.readUInt32LE(14);
  if (headerSize < 40 || buffer.length < 14 + headerSize) throw fail("unsupported header");
  const width = buffer.readInt32LE(18);
  const rawHeight = buffer.readInt32LE(22);
  const bitsPerPixel = buffer.readUInt16LE(28);
  const compression = buffer.readUInt32LE(30);
  const pixelsPerMetre = buffer.readInt32LE(38);
  const colorsUsed = buffer.readUInt32LE(46);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  if (width <= 0 || height === 0 || width * height > 200_000_000) throw fail("bad dimensions");
  if (compression !== 0 && compression !== 3) throw new AnalyzerError("UnsupportedContent", "Compressed BMP images are not supported.");

  let masks = [0x7c00, 0x03e0, 0x001f];
  if (bitsPerPixel === 32) masks = [0xff0000, 0xff00, 0xff];
  if (compression === 3) {
    const maskAt = headerSize >= 52 ? 54 : 14 + headerSize;
    masks = [buffer.readUInt32LE(maskAt), buffer.readUInt32LE(maskAt + 4), buffer.readUInt32LE(maskAt + 8)];
  }
  const palette: number[][] = [];
  if (bitsPerPixel <= 8) {
    const count = colorsUsed || 1 << bitsPerPixel;
    for (let i = 0; i < count; i++) {
      const at = 14 + headerSize + i * 4;
      palette.push([buffer[at + 2], buffer[at + 1], buffer[at]]);
    }
  }
  const rowSize = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (dataOffset + rowSize * height > buffer.length) throw fail("truncated pixel data");
  const out = Buffer.alloc(width * height * 3);
  // Scales a masked channel (e.g. 5 bits) to 0-255.
  const channel = (value: number, mask: number) => {
    if (!mask) return 0;
    const low = Math.log2((mask & -mask) >>> 0);
    const max = mask >>> low;
    return Math.round((((value & mask) >>> low) * 255) / max);
  };
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * rowSize;
    for (let x = 0; x < width; x++) {
      let rgb: number[];
      switch (bitsPerPixel) {
        case 1:
        case 4:
        case 8: {
          const bitOffset = x * bitsPerPixel;
          const byte = buffer[row + (bitOffset >> 3)];
          const index = (byte >> (8 - bitsPerPixel - (bitOffset & 7))) & ((1 << bitsPerPixel) - 1);
          rgb = palette[index] ?? [0, 0, 0];
          break;
        }
        case 16: {
          const value = buffer.readUInt16LE(row + x * 2);
          rgb = masks.map((mask) => channel(value, mask));
          break;
        }
        case 24:
          rgb = [buffer[row + x * 3 + 2], buffer[row + x * 3 + 1], buffer[row + x * 3]];
          break;
        case 32: {
          const value = buffer.readUInt32LE(row + x * 4);
          rgb = masks.map((mask) => channel(value, mask));
          break;
        }
        default:
          throw new AnalyzerError("UnsupportedContent", `BMP images with ${bitsPerPixel} bits per pixel are not supported.`);
      }
      out.set(rgb, (y * width + x) * 3);
    }
  }
  return { data: out, width, height, channels: 3, density: pixelsPerMetre > 0 ? Math.round(pixelsPerMetre * 0.0254) : undefined };
}
