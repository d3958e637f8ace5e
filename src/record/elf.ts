/**
 * Whether an ELF file is dynamically linked (has a PT_INTERP program header): an LD_PRELOAD
 * recorder can record only such programs. Reads the header and program headers, nothing else.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export type Linkage = 'dynamic' | 'static' | 'not-elf';

const PT_INTERP = 3;

export function elfLinkage(file: string): Linkage | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const h = Buffer.alloc(64);
    if (readSync(fd, h, 0, 64, 0) < 52 || h.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? h.readBigUInt64LE(32) : h.readBigUInt64BE(32)) : u32(h, 28);
    const phentsize = u16(h, is64 ? 54 : 42);
    const phnum = u16(h, is64 ? 56 : 44);
    if (!phentsize || phnum > 4096) return 'not-elf';
    const ph = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, ph, 0, ph.length, phoff) < ph.length) return 'not-elf';
    for (let i = 0; i < phnum; i++) if (u32(ph, i * phentsize) === PT_INTERP) return 'dynamic';
    return 'static';
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
