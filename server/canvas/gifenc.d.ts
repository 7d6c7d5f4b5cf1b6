// Types of the parts of gifenc (a plain-JavaScript GIF encoder) that the render worker uses.
declare module "gifenc" {
  export interface FrameOptions {
    palette?: ReadonlyArray<readonly [number, number, number]>;
    delay?: number;
    repeat?: number;
    transparent?: boolean;
    transparentIndex?: number;
    colorDepth?: number;
    dispose?: number;
  }
  export interface Encoder {
    writeFrame(index: Uint8Array, width: number, height: number, opts?: FrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
    bytesView(): Uint8Array;
  }
  export function GIFEncoder(opts?: { initialCapacity?: number; auto?: boolean }): Encoder;
}
