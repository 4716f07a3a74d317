package dev.daxfs.tools.race;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a race run found: counters the harness adds to as rounds finish, and the report {@code
 * daxfs dma-race} prints (as text or JSON). Written by the one thread that runs the rounds.
 */
final class RaceReport {

  /** The seed of the run. */
  final long seed;

  /** Whether the layout break was skipped. */
  final boolean skipLayoutBreak;

  /** The region the run used. */
  final String region;

  /** Rounds finished. */
  int iterations;

  /** Short-term transfers completed. */
  long dmaTransfers;

  /** Page writes those transfers made. */
  long dmaWrites;

  /** Page writes that landed on a page no longer owned by the (file, index) they pinned. */
  long misdirectedWrites;

  /** Pages of the DMA file that differ from the model. */
  long corruptedDmaFileBlocks;

  /** Pages of the other file that differ from its pattern. */
  long corruptedOtherFileBlocks;

  /** Pages whose read failed with EIO (counted among the corrupted pages too). */
  long unreadableBlocks;

  /** Rounds with at least one corrupted page. */
  long corruptedRounds;

  /** The first such round, or -1. */
  int firstCorruptedRound = -1;

  /** Tag records the model of the DMA file holds, over all rounds. */
  long tagsExpected;

  /** Expected tag records missing from the DMA file. */
  long tagsLost;

  /** Tag records found where the model has none: the DMA file beyond it, or the other file. */
  long tagsStray;

  /** Pinned pages inside a broken range. */
  long pinnedBlocksInBreak;

  /** Of those, blocks the other file owned right after the cut returned. */
  long pinnedBlocksReused;

  /** Rounds whose cut waited for DMA. */
  long roundsThatWaited;

  /** Rounds that failed (only without the layout break; the filesystem was remade). */
  long failedRounds;

  /** The first failure's message, or null. */
  String firstFailure;

  /**
   * Free blocks a crash image of the end state recovers minus those the running filesystem
   * counts; 0 when the logs and the allocator agree.
   */
  long recoveryFreeBlocksDelta;

  /** Why mounting the crash image of the end state failed, or null. */
  String recoveryError;

  /** Wall time of the run. */
  long elapsedNanos;

  /** Each waiting cut's time in the layout break's wait. */
  final Samples waits = new Samples();

  /** Last unpin in the broken range to the cut returning, for cuts that waited. */
  final Samples breakReturn = new Samples();

  /** Cuts run, per operation. */
  final Map<String, Long> ops = new TreeMap<>();

  /** Whether the filesystem kept data checksums. */
  final boolean dataChecksums;

  RaceReport(long seed, boolean skipLayoutBreak, boolean dataChecksums, String region) {
    this.seed = seed;
    this.skipLayoutBreak = skipLayoutBreak;
    this.dataChecksums = dataChecksums;
    this.region = region;
    for (RaceOp op : RaceOp.values()) {
      ops.put(op.label(), 0L);
    }
  }

  void corrupted(int round, long dmaFilePages, long otherFilePages) {
    corruptedDmaFileBlocks += dmaFilePages;
    corruptedOtherFileBlocks += otherFilePages;
    if (dmaFilePages + otherFilePages > 0) {
      corruptedRounds++;
      if (firstCorruptedRound < 0) {
        firstCorruptedRound = round;
      }
    }
  }

  void failedRound(int round, Throwable e) {
    failedRounds++;
    if (firstFailure == null) {
      firstFailure = "round " + round + ": " + e;
    }
  }

  long corruptedBlocks() {
    return corruptedDmaFileBlocks + corruptedOtherFileBlocks;
  }

  /** Whether the run saw any sign of a DMA write reaching the wrong place. */
  boolean foundDamage() {
    return corruptedBlocks() > 0 || misdirectedWrites > 0 || tagsLost > 0 || tagsStray > 0
        || failedRounds > 0 || recoveryFreeBlocksDelta != 0 || recoveryError != null;
  }

  /** The report, keys in snake case, in the order it is printed. */
  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("layout_break", skipLayoutBreak ? "skipped (unsafe, for demonstration only)" : "on");
    m.put("seed", seed);
    m.put("region", region);
    m.put("data_checksums", dataChecksums);
    m.put("iterations", iterations);
    m.put("ops", new LinkedHashMap<>(ops));
    m.put("dma_transfers", dmaTransfers);
    m.put("dma_writes", dmaWrites);
    m.put("misdirected_writes", misdirectedWrites);
    m.put("corrupted_blocks", corruptedBlocks());
    m.put("corrupted_blocks_dma_file", corruptedDmaFileBlocks);
    m.put("corrupted_blocks_other_file", corruptedOtherFileBlocks);
    m.put("unreadable_blocks", unreadableBlocks);
    m.put("corrupted_rounds", corruptedRounds);
    m.put("first_corrupted_round", firstCorruptedRound < 0 ? null : firstCorruptedRound);
    m.put("dma_tags_expected", tagsExpected);
    m.put("dma_tags_lost", tagsLost);
    m.put("dma_tags_stray", tagsStray);
    m.put("pinned_blocks_in_break", pinnedBlocksInBreak);
    m.put("pinned_blocks_reused", pinnedBlocksReused);
    m.put("failed_rounds", failedRounds);
    if (firstFailure != null) {
      m.put("first_failure", firstFailure);
    }
    m.put("recovery_free_blocks_delta", recoveryFreeBlocksDelta);
    if (recoveryError != null) {
      m.put("recovery_error", recoveryError);
    }
    m.put("layout_waits", roundsThatWaited);
    m.put("wait_us_p50", waits.percentileMicros(50));
    m.put("wait_us_p99", waits.percentileMicros(99));
    m.put("wait_us_max", waits.maxMicros());
    m.put("break_return_latency_us_p50", breakReturn.percentileMicros(50));
    m.put("break_return_latency_us_p99", breakReturn.percentileMicros(99));
    m.put("elapsed_ms", elapsedNanos / 1_000_000);
    return m;
  }
}
