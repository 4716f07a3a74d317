package dev.daxfs.dax;

import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;

/** A region with descriptors, an allocator, and one in-memory file with its address space. */
final class TestFile {
  static final int PAGE = PmemRegion.PAGE_SIZE;

  final PmemRegion region;
  final PageDescriptors pages;
  final MemoryBlockMap.BlockAllocator allocator;
  final MemoryBlockMap blocks;
  final DaxAddressSpace space;

  /** A 256-page heap region and a file of {@code filePages} pages (inode 7). */
  TestFile(int filePages) {
    this(new HeapRegion(256L * PAGE), filePages);
  }

  TestFile(PmemRegion region, int filePages) {
    this.region = region;
    this.pages = new PageDescriptors(region);
    // Page frame 0 stays unused so a stray 0 never looks like a real block.
    this.allocator = new MemoryBlockMap.BlockAllocator(1, pages.pageCount() - 1);
    this.blocks = new MemoryBlockMap(pages, allocator, 7, (long) filePages * PAGE);
    this.space = new DaxAddressSpace(pages, 7, blocks);
  }

  /** Another file on the same region and allocator. */
  DaxAddressSpace another(long inode, int filePages, MemoryBlockMap[] out) {
    MemoryBlockMap b = new MemoryBlockMap(pages, allocator, inode, (long) filePages * PAGE);
    out[0] = b;
    return new DaxAddressSpace(pages, inode, b);
  }

  CpuMapping mapRw(int filePages) throws ErrnoException {
    return space.mmap(0, (long) filePages * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
  }
}
