package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.MemoryBlockMap;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;

/** A heap region with one in-memory file (inode 7) and its address space. */
final class GupFile {
  static final int PAGE = PmemRegion.PAGE_SIZE;

  final HeapRegion region;
  final PageDescriptors pages;
  final MemoryBlockMap.BlockAllocator allocator;
  final MemoryBlockMap blocks;
  final DaxAddressSpace space;

  GupFile(int filePages) {
    region = new HeapRegion(256L * PAGE);
    pages = new PageDescriptors(region);
    allocator = new MemoryBlockMap.BlockAllocator(1, pages.pageCount() - 1);
    blocks = new MemoryBlockMap(pages, allocator, 7, (long) filePages * PAGE);
    space = new DaxAddressSpace(pages, 7, blocks);
  }

  /** Another file on the same region and allocator. */
  MemoryBlockMap anotherFile(long inode, int filePages) {
    return new MemoryBlockMap(pages, allocator, inode, (long) filePages * PAGE);
  }

  CpuMapping mapRw(int filePages) throws ErrnoException {
    return space.mmap(0, (long) filePages * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
  }

  /** A writable mapping of every page, each page written (so every pte is present and writable). */
  CpuMapping populated(int filePages) throws ErrnoException {
    CpuMapping m = mapRw(filePages);
    for (int i = 0; i < filePages; i++) {
      m.storeLong((long) i * PAGE, i + 1);
    }
    return m;
  }
}
